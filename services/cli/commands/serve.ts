// `errorscope serve`: apply the migrations, then serve the query API until SIGINT/SIGTERM.
import {
  checkAuthPolicy,
  createLogger,
  openStore,
  runFailed,
  type StopSignal,
  type StoreSession,
  stopSignal,
} from '../boot.js';
import { defineCommand, UsageError } from '../command.js';

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
    if (!name) throw new UsageError(`unknown option '${arg}'`);
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new UsageError(`${flag} needs a value`);
    out[name] = value;
  }
  return out;
}

export const command = defineCommand({
  name: 'serve',
  summary: 'migrate, then serve the query API',
  help: HELP,
  parse: (args) => ({ overrides: parseServeArgs(args) }),
  async run(_, config, io) {
    await checkAuthPolicy(config);
    const logger = createLogger(config);
    const { startServer } = await import('../../api/server.js');
    const { TAXONOMY } = await import('../../core/taxonomy.js');
    let stop: StopSignal | undefined;
    let store: StoreSession | undefined;
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      store = await openStore(config, { log: logger });
      server = await startServer({ config, client: store.client, logger, taxonomy: TAXONOMY });
      logger.info({ url: server.url, docs: `${server.url}/docs` }, 'query API listening');
      stop = stopSignal();
      await stop.received;
      logger.info('shutting down');
      return 0;
    } catch (err) {
      return runFailed(io, 'serve', logger, err, 'serve failed');
    } finally {
      stop?.dispose();
      await server?.close();
      await store?.close();
    }
  },
});
