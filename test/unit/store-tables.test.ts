// The names the store's queries read (services/store/tables.ts readTables): the local tables on one
// node, the Distributed tables `migrate` creates (services/store/cluster.ts) when CLICKHOUSE_CLUSTER is
// set; and rows parsed against their stated shape (services/store/rows.ts), a wrong shape a clear error.
import { createClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { isEmbeddedClient } from '../../services/store/clickhouse.js';
import { distributedStatements } from '../../services/store/cluster.js';
import { parseRows, RowShapeError } from '../../services/store/rows.js';
import { READ_TABLES, readTables, TABLES } from '../../services/store/tables.js';

describe('readTables', () => {
  it('names the local tables, qualified, without a cluster', () => {
    const t = readTables('es');
    expect(t.errors).toBe('es.errors_v2');
    expect(t.calls1m).toBe('es.calls_1m_v2');
    expect(t.fleet1d).toBe('es.calls_fleet_1d_v2');
    expect(t.unknownCodes).toBe('es.unknown_codes_v2');
    expect(readTables('es', '')).toEqual(t);
  });

  it('names the Distributed tables with a cluster, exactly those migrate creates', () => {
    const t = readTables('es', 'prod');
    for (const name of READ_TABLES) expect(t[name]).toBe(`es.${TABLES[name]}_dist`);
    const created = distributedStatements('es', 'prod').map((s) => /CREATE TABLE IF NOT EXISTS (\S+)/.exec(s)?.[1]);
    expect([...created].sort()).toEqual(Object.values(t).sort());
  });
});

describe('parseRows', () => {
  const shape = { n: 'number', name: 'string', reset: 'number?', ok: 'boolean', keys: 'strings' } as const;

  it('keeps the shape columns of well-formed rows', () => {
    const rows = parseRows('q', [{ n: 3, name: 'a', reset: null, ok: true, keys: ['k'], extra: 1 }], shape);
    expect(rows).toEqual([{ n: 3, name: 'a', reset: null, ok: true, keys: ['k'] }]);
    expect(parseRows('q', [{ n: 0, name: '', reset: 5, ok: 0, keys: [] }], shape)[0]?.ok).toBe(false);
  });

  it.each([
    [{ n: '3', name: 'a', reset: null, ok: true, keys: [] }, 'q: row 0, column \'n\': expected number, got string "3"'],
    [{ name: 'a', reset: null, ok: true, keys: [] }, "q: row 0, column 'n': expected number, got no such column"],
    [{ n: 1, name: 'a', ok: true, keys: [] }, "q: row 0, column 'reset': expected number?, got no such column"],
    [{ n: 1, name: null, reset: null, ok: true, keys: [] }, "q: row 0, column 'name': expected string, got null null"],
    [{ n: 1, name: 'a', reset: null, ok: 'yes', keys: [] }, "q: row 0, column 'ok': expected boolean"],
    [{ n: 1, name: 'a', reset: null, ok: true, keys: [1] }, "q: row 0, column 'keys': expected strings"],
  ])('refuses %j', (row, message) => {
    expect(() => parseRows('q', [row], shape)).toThrow(RowShapeError);
    expect(() => parseRows('q', [row], shape)).toThrow(message);
  });

  it('refuses a result that is not rows', () => {
    expect(() => parseRows('q', { n: 1 }, shape)).toThrow('q: expected rows');
  });

  describe('a JSONCompact result (columns named once, in meta)', () => {
    const meta = ['extra', 'keys', 'ok', 'reset', 'name', 'n'].map((name) => ({ name, type: 'whatever' }));
    const compact = (...data: unknown[][]) => ({ meta, data, rows: data.length });

    it('reads each column at its place in meta', () => {
      const rows = parseRows('q', compact([1, ['k'], true, null, 'a', 3], [2, [], 0, 5, '', 0]), shape);
      expect(rows).toEqual([
        { n: 3, name: 'a', reset: null, ok: true, keys: ['k'] },
        { n: 0, name: '', reset: 5, ok: false, keys: [] },
      ]);
      expect(parseRows('q', compact(), shape)).toEqual([]);
    });

    it('refuses a wrong kind, a missing column and a row of the wrong width', () => {
      expect(() => parseRows('q', compact([1, [], true, null, 'a', '3']), shape)).toThrow(
        'q: row 0, column \'n\': expected number, got string "3"',
      );
      const noReset = { meta: meta.filter((m) => m.name !== 'reset'), data: [[1, [], true, 'a', 3]] };
      expect(() => parseRows('q', noReset, shape)).toThrow(
        "q: row 0, column 'reset': expected number?, got no such column",
      );
      expect(() => parseRows('q', compact([1, [], true, null, 'a']), shape)).toThrow(RowShapeError);
      expect(() => parseRows('q', compact([1, [], true, null, 'a']), shape)).toThrow('q: row 0 is array');
    });
  });
});

describe('isEmbeddedClient', () => {
  it('is false for a server client and for a wrapper of one (the querier then asks a server for unquoted 64-bit integers)', async () => {
    const server = createClient({ url: 'http://127.0.0.1:1' });
    expect(isEmbeddedClient(server)).toBe(false);
    expect(isEmbeddedClient(new Proxy(server, {}))).toBe(false);
    await server.close();
  });
});
