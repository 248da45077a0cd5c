// Retention stated once: the TTLs the migrations give each current table are core/retention.ts's,
// and countBeyondRetention counts a planted backfill exactly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countBeyondRetention, RETENTION_DAYS } from '../../services/core/retention.js';
import { defaultMigrationsDir } from '../../services/store/migrate.js';
import { TABLES } from '../../services/store/tables.js';

const DAY = 86_400_000;

describe('retention', () => {
  it('every TTL in the migrations of the current tables is the one stated in core/retention.ts', () => {
    const dir = defaultMigrationsDir();
    const sql = readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    const ttlOf = (table: string): number => {
      const m = new RegExp(
        `CREATE TABLE IF NOT EXISTS \\$\\{database\\}\\.${table}\\b[\\s\\S]*?TTL [^\\n]*INTERVAL (\\d+) DAY`,
      ).exec(sql);
      if (!m) throw new Error(`no TTL for ${table}`);
      return Number(m[1]);
    };
    expect(ttlOf(TABLES.errors)).toBe(RETENTION_DAYS.errors);
    expect(ttlOf(TABLES.calls1m)).toBe(RETENTION_DAYS.calls_1m);
    expect(ttlOf(TABLES.calls1h)).toBe(RETENTION_DAYS.calls_1h);
    expect(ttlOf(TABLES.calls1d)).toBe(RETENTION_DAYS.calls_1d);
    expect(ttlOf(TABLES.fleet1m)).toBe(RETENTION_DAYS.calls_1m);
    expect(ttlOf(TABLES.fleet1h)).toBe(RETENTION_DAYS.calls_1h);
    expect(ttlOf(TABLES.fleet1d)).toBe(RETENTION_DAYS.calls_1d);
  });

  it('counts what each table drops from a backfill', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 0);
    const at = (daysAgo: number, category = 'rate_limit') => ({ ts: now - daysAgo * DAY, category });
    const rows = [
      at(1), // kept everywhere
      at(20), // past 1m (14 d), kept in errors (30 d)
      at(20, 'ok'),
      at(60), // two months: only 1h and 1d keep it
      at(60, 'ok'),
      at(500, 'ok'), // past 1h too
      at(2000), // past everything
    ];
    expect(countBeyondRetention(rows, now)).toEqual({ errors: 2, calls_1m: 6, calls_1h: 2, calls_1d: 1 });
    // RAW_TTL_DAYS=7 makes the 20-day-old error fall out of the raw table too.
    expect(countBeyondRetention(rows, now, 7).errors).toBe(3);
  });

  it('a rollup drops by bucket start: 14 days after the minute began', () => {
    const now = Date.UTC(2026, 11, 1, 12, 0, 30);
    const minuteStart = Date.UTC(2026, 11, 1, 12, 0, 0) - 14 * DAY;
    expect(countBeyondRetention([{ ts: minuteStart + 59_000, category: 'ok' }], now).calls_1m).toBe(1);
    expect(countBeyondRetention([{ ts: minuteStart + 60_000, category: 'ok' }], now).calls_1m).toBe(0);
  });
});
