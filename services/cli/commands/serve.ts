// `errorscope serve`: apply the migrations, then serve the query API until SIGINT/SIGTERM.
import { ConfigError, parseConfig } from '../../config.js';
import { createLogger } from '../logger.js';
import type { Command, CommandIo } from '../main.js';

const HELP = `usage: errorscope serve [--host H] [--port P]

Applies the schema migrations to ClickHouse (CLICKHOUSE_URL, or the embedded engine at CHDB_PATH),
then serves the query API (see /docs and /openapi.json) until SIGINT or SIGTERM.

options:
  --host H   listen address (HOST, default 127.0.0.1)
  --port P   listen port (PORT, default 8080)

environment: API_TOKENS (comma-separated bearer tokens; required on a non-loopback HOST unless
ALLOW_NO_AUTH=true), RATE_LIMIT_PER_MINUTE, CLICKHOUSE_*, CHDB_PATH, LOG_LEVEL.`;

const FLAGS: Record<string, string> = { '--host': 'HOST', '--port': 'PORT' };

export function parseServeArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    const name = FLAGS[flag ?? ''];
    if (!name) throw new ConfigError(`unknown option '${arg}' (see errorscope serve --help)`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new ConfigError(`${flag} needs a value`);
    out[name] = value;
  }
  return out;
}

export const command: Command = {
  summary: 'migrate, then serve the query API',
  help: HELP,
  async run(args: string[], io: CommandIo): Promise<number> {
    let config: ReturnType<typeof parseConfig>;
    try {
      config = parseConfig(io.env, parseServeArgs(args));
    } catch (err) {
      io.stderr.write(`errorscope serve: ${(err as Error).message}\n`);
      return 2;
    }
    const { ApiConfigError, checkAuthPolicy } = await import('../../api/app.js');
    try {
      checkAuthPolicy(config);
    } catch (err) {
      if (err instanceof ApiConfigError) {
        io.stderr.write(`errorscope serve: ${err.message}\n`);
        return 2;
      }
      throw err;
    }
    const logger = createLogger(config);
    const { createStoreClient } = await import('../../store/clickhouse.js');
    const { migrate } = await import('../../store/migrate.js');
    const { startServer } = await import('../../api/server.js');
    const { TAXONOMY } = await import('../../core/taxonomy.js');
    const client = await createStoreClient(config);
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const migrated = await migrate(client, config);
      if (migrated.applied.length) logger.info({ applied: migrated.applied }, 'migrations applied');
      server = await startServer({ config, client, logger, taxonomy: TAXONOMY });
      logger.info({ url: server.url, docs: `${server.url}/docs` }, 'query API listening');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      logger.info('shutting down');
      return 0;
    } catch (err) {
      logger.error({ err }, 'serve failed');
      return 1;
    } finally {
      await server?.close();
      await client.close();
    }
  },
};
