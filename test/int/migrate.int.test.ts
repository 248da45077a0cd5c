// The migrator against the real embedded ClickHouse engine (chDB), in a fresh data directory.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../services/config.js';
import { createStoreClient } from '../../services/store/clickhouse.js';
import { defaultMigrationsDir, MigrationError, migrate } from '../../services/store/migrate.js';
import { tempChdbDir } from '../helpers/chdb.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const dataDir = tempChdbDir();
let client: ClickHouseClient;

function copyMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'errorscope-migrations-'));
  cpSync(defaultMigrationsDir(), dir, { recursive: true });
  return dir;
}

async function tables(db: string): Promise<string[]> {
  const rs = await client.query({
    query: 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name',
    query_params: { db },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string }>()).map((r) => r.name);
}

beforeAll(async () => {
  client = await createStoreClient(parseConfig({ CHDB_PATH: dataDir.path }));
});
afterAll(async () => {
  await client?.close();
  dataDir.remove();
});

describe('migrate', () => {
  it('applies every file once, in order, and records its checksum', async () => {
    const cfg = parseConfig({ CLICKHOUSE_DATABASE: 'mig_once' });
    const files = readdirSync(defaultMigrationsDir())
      .filter((f) => f.endsWith('.sql'))
      .sort();
    const first = await migrate(client, cfg);
    expect(first.applied).toEqual(files);
    const t = await tables('mig_once');
    for (const name of [
      'calls_in_v1',
      'errors_v1',
      'calls_1m_v1',
      'calls_1h_v1',
      'calls_1d_v1',
      'ingest_batches_v1',
      'schema_migrations',
    ]) {
      expect(t).toContain(name);
    }
    const second = await migrate(client, cfg);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(files);
    const rs = await client.query({
      query: 'SELECT version, checksum FROM mig_once.schema_migrations ORDER BY version',
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ version: number; checksum: string }>();
    expect(rows.length).toBe(files.length);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
  });

  it('refuses a changed applied file and names it', async () => {
    const dir = copyMigrations();
    const cfg = parseConfig({ CLICKHOUSE_DATABASE: 'mig_changed' });
    await migrate(client, cfg, dir);
    writeFileSync(join(dir, '0002_errors_v1.sql'), '-- edited\nSELECT 1;\n', { flag: 'a' });
    await expect(migrate(client, cfg, dir)).rejects.toThrow(/0002_errors_v1\.sql: changed after it was applied/);
  });

  it('stops at a failing migration with the ClickHouse error and does not record it', async () => {
    const dir = copyMigrations();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the migrations' own placeholder
    writeFileSync(join(dir, '0999_broken.sql'), 'CREATE TABLE ${database}.broken (x UInt8) ENGINE = NoSuchEngine;\n');
    const cfg = parseConfig({ CLICKHOUSE_DATABASE: 'mig_broken' });
    const err = await migrate(client, cfg, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(String((err as Error).message)).toMatch(/^0999_broken\.sql: .*NoSuchEngine/s);
    const rs = await client.query({
      query: 'SELECT count() AS n, max(version) AS v FROM mig_broken.schema_migrations',
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ n: string; v: number }>();
    expect(Number(row?.n)).toBe(readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.sql')).length);
    expect(Number(row?.v)).toBeLessThan(999);
  });

  it('re-applies RAW_TTL_DAYS to errors_v1', async () => {
    const cfg = parseConfig({ CLICKHOUSE_DATABASE: 'mig_ttl', RAW_TTL_DAYS: '7' });
    const res = await migrate(client, cfg);
    expect(res.ttlDays).toBe(7);
    const rs = await client.query({ query: 'SHOW CREATE TABLE mig_ttl.errors_v1', format: 'TabSeparatedRaw' });
    expect(await rs.text()).toMatch(/TTL toDateTime\(ts\) \+ toIntervalDay\(7\)/);
  });
});

describe('errorscope migrate (CLI)', () => {
  it('exits 0, then 1 naming a changed file', async () => {
    const chdb = tempChdbDir();
    const dir = copyMigrations();
    const env = { ...process.env, CHDB_PATH: chdb.path, CLICKHOUSE_URL: '', CLICKHOUSE_DATABASE: 'cli_db' };
    try {
      const ok = await run('node', [join(root, 'bin/errorscope.js'), 'migrate', '--dir', dir], { env });
      expect(ok.stdout).toMatch(/applied 0001_database_and_calls_in\.sql/);
      writeFileSync(join(dir, '0003_calls_1m_v1.sql'), '\n', { flag: 'a' });
      const bad = await run('node', [join(root, 'bin/errorscope.js'), 'migrate', '--dir', dir], { env }).catch(
        (e: unknown) => e,
      );
      expect((bad as { code?: number }).code).toBe(1);
      expect((bad as { stderr?: string }).stderr).toMatch(/0003_calls_1m_v1\.sql/);
    } finally {
      chdb.remove();
    }
  });
});
