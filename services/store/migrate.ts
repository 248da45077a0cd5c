// Schema migrations: migrations/NNNN_name.sql applied in order, each once, recorded with the sha256 of
// the file in `${database}.schema_migrations`. An applied file that changed is an error, never a
// silent re-run; a failing statement stops the run with the ClickHouse error.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Config } from '../config.js';
import { distributedStatements, renderForCluster } from './cluster.js';
import { eachRow, insertBlock } from './insert.js';
import { TABLES } from './tables.js';

export type MigrateConfig = Pick<Config, 'CLICKHOUSE_DATABASE' | 'RAW_TTL_DAYS'> &
  Partial<Pick<Config, 'CLICKHOUSE_CLUSTER'>>;

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  ttlDays: number | null;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The repository's migrations/ directory, found from this module whether it runs from source or dist/. */
export function defaultMigrationsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'migrations', '0001_database_and_calls_in.sql'))) return join(dir, 'migrations');
    dir = resolve(dir, '..');
  }
  throw new MigrationError('migrations/ directory not found next to the errorscope package');
}

export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const file of names) {
    const m = FILE_RE.exec(file);
    if (!m) throw new MigrationError(`${file}: migration files are named NNNN_name.sql (lowercase name)`);
    const sql = await readFile(join(dir, file), 'utf8');
    files.push({
      version: Number(m[1]),
      name: m[2] as string,
      file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  for (let i = 1; i < files.length; i++) {
    if (files[i]?.version === files[i - 1]?.version) throw new MigrationError(`${files[i]?.file}: duplicate version`);
  }
  return files;
}

/**
 * Splits a SQL script into statements on `;` outside quotes and comments, dropping comments and
 * empty statements. ClickHouse takes one statement per request.
 */
function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      cur += ' ';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1;
      cur += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function substitute(sql: string, cfg: MigrateConfig): string {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the migrations' own placeholder, not a template
  return sql.replaceAll('${database}', cfg.CLICKHOUSE_DATABASE);
}

function chMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function schemaMigrationsDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations
            (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = MergeTree ORDER BY version`;
}

/** Every statement of a migration file as `migrate` sends it (rendered for CLICKHOUSE_CLUSTER when set). */
export function renderStatements(sql: string, cfg: MigrateConfig): string[] {
  const statements = splitStatements(substitute(sql, cfg));
  return cfg.CLICKHOUSE_CLUSTER
    ? statements.map((s) => renderForCluster(s, cfg.CLICKHOUSE_CLUSTER as string))
    : statements;
}

/** Applies the pending migrations of `dir` (default: the package's migrations/), then RAW_TTL_DAYS. */
export async function migrate(
  client: ClickHouseClient,
  cfg: MigrateConfig,
  dir: string = defaultMigrationsDir(),
): Promise<MigrateResult> {
  const db = cfg.CLICKHOUSE_DATABASE;
  const files = await readMigrations(dir);
  const onCluster = cfg.CLICKHOUSE_CLUSTER
    ? (s: string) => renderForCluster(s, cfg.CLICKHOUSE_CLUSTER as string)
    : (s: string) => s;
  await client.command({ query: onCluster(`CREATE DATABASE IF NOT EXISTS ${db}`) });
  await client.command({ query: onCluster(schemaMigrationsDdl(db)) });
  const rs = await client.query({
    query: `SELECT version, any(name) AS name, groupUniqArray(checksum) AS checksums FROM ${db}.schema_migrations GROUP BY version`,
    format: 'JSONEachRow',
  });
  const applied = new Map<number, string[]>();
  for (const r of await rs.json<{ version: number; name: string; checksums: string[] }>()) {
    applied.set(Number(r.version), r.checksums);
  }

  const result: MigrateResult = { applied: [], alreadyApplied: [], ttlDays: null };
  // Every applied file is checked before anything new runs: a changed history stops the run.
  for (const f of files) {
    const sums = applied.get(f.version);
    if (sums && !sums.includes(f.checksum)) {
      throw new MigrationError(
        `${f.file}: changed after it was applied (checksum ${f.checksum.slice(0, 12)}, applied ${sums.map((s) => s.slice(0, 12)).join(', ')}); add a new migration instead`,
      );
    }
  }
  for (const f of files) {
    if (applied.has(f.version)) {
      result.alreadyApplied.push(f.file);
      continue;
    }
    for (const statement of renderStatements(f.sql, cfg)) {
      try {
        await client.command({ query: statement });
      } catch (err) {
        throw new MigrationError(`${f.file}: ${chMessage(err)}`);
      }
    }
    await insertBlock(client, {
      table: `${db}.schema_migrations`,
      format: 'JSONEachRow',
      body: eachRow([{ version: f.version, name: f.name, checksum: f.checksum }]),
      rows: 1,
      token: 'fresh',
    });
    result.applied.push(f.file);
  }

  if (cfg.CLICKHOUSE_CLUSTER) {
    for (const statement of distributedStatements(db, cfg.CLICKHOUSE_CLUSTER)) {
      try {
        await client.command({ query: statement });
      } catch (err) {
        throw new MigrationError(`Distributed tables: ${chMessage(err)}`);
      }
    }
  }
  if (cfg.RAW_TTL_DAYS !== undefined) {
    // The raw table of every storage version still present (v1 stays readable after 0010).
    for (const table of ['errors_v1', TABLES.errors]) {
      try {
        await client.command({
          query: onCluster(
            `ALTER TABLE ${db}.${table} MODIFY TTL toDateTime(ts) + INTERVAL ${Math.floor(cfg.RAW_TTL_DAYS)} DAY`,
          ),
        });
      } catch (err) {
        throw new MigrationError(`RAW_TTL_DAYS=${cfg.RAW_TTL_DAYS}: ${chMessage(err)}`);
      }
    }
    result.ttlDays = cfg.RAW_TTL_DAYS;
  }
  return result;
}
