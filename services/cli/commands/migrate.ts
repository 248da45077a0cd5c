// `errorscope migrate`: applies the schema migrations once, in order, and re-applies RAW_TTL_DAYS.
import { defineCommand, UsageError } from '../command.js';

const HELP = `usage: errorscope migrate [--dir DIR] [--database NAME]

Applies migrations/NNNN_name.sql to ClickHouse in order, each exactly once, and records each in
<database>.schema_migrations with the sha256 of the file. \${database} in the files is replaced by
CLICKHOUSE_DATABASE. Safe to run again: applied files are skipped.

  --dir DIR         migrations directory (default: the one shipped with errorscope)
  --database NAME   overrides CLICKHOUSE_DATABASE

Environment: CLICKHOUSE_URL (a server; unset = the embedded engine at CHDB_PATH, default ./data),
CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE (default errorscope),
RAW_TTL_DAYS (when set, re-applies the retention of errors_v1 and errors_v2: ALTER TABLE ... MODIFY TTL).

Exit codes: 0 applied (or nothing to do), 1 a migration failed or an applied file was changed
(the message names the file), 2 usage error.
`;

export const command = defineCommand({
  name: 'migrate',
  summary: 'apply the schema migrations',
  help: HELP,
  parse(args) {
    let dir: string | undefined;
    const overrides: Record<string, string> = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const v = args[i + 1];
      if ((a === '--dir' || a === '--database') && v !== undefined) {
        if (a === '--dir') dir = v;
        else overrides.CLICKHOUSE_DATABASE = v;
        i++;
      } else {
        throw new UsageError(`unexpected argument '${a}'`);
      }
    }
    return { dir, overrides };
  },
  async run({ dir }, cfg, io) {
    const { createStoreClient } = await import('../../store/clickhouse.js');
    const { migrate } = await import('../../store/migrate.js');
    const client = await createStoreClient(cfg);
    try {
      const res = await migrate(client, cfg, dir);
      for (const f of res.applied) io.stdout.write(`applied ${f}\n`);
      io.stdout.write(
        `database ${cfg.CLICKHOUSE_DATABASE}: ${res.applied.length} applied, ${res.alreadyApplied.length} already applied` +
          `${res.ttlDays !== null ? `, errors_v1/errors_v2 TTL ${res.ttlDays} days` : ''}\n`,
      );
      return 0;
    } catch (err) {
      io.stderr.write(`errorscope migrate: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    } finally {
      await client.close();
    }
  },
});
