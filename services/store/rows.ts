// Rows from ClickHouse are parsed, not cast: each query states the shape of its rows (column -> kind)
// and every row is checked against it, so a column renamed in SQL, a 64-bit integer quoted as a
// string or a NULL where none may be is a clear error naming the query, the row and the column,
// never an `undefined` or a string concatenated into a sum three layers up.

/** Column kinds as JSONEachRow carries them (64-bit integers unquoted: see querier.ts). */
export type ColumnKind = 'string' | 'number' | 'number?' | 'boolean' | 'strings' | 'histogram';

type KindType<K extends ColumnKind> = K extends 'string'
  ? string
  : K extends 'number'
    ? number
    : K extends 'number?'
      ? number | null
      : K extends 'boolean'
        ? boolean
        : K extends 'strings'
          ? string[]
          : [number[], number[]];

export type RowShape = Readonly<Record<string, ColumnKind>>;
export type RowOf<S extends RowShape> = { -readonly [K in keyof S]: KindType<S[K]> };

export class RowShapeError extends Error {
  override name = 'RowShapeError';
}

const CHECKS: Record<ColumnKind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  'number?': (v) => v === null || (typeof v === 'number' && Number.isFinite(v)),
  // ClickHouse's Bool is true/false in JSON; UInt8 flags are 0/1.
  boolean: (v) => typeof v === 'boolean' || v === 0 || v === 1,
  strings: (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  // A merged latency histogram, sumMap's (buckets, counts): two number arrays of one length.
  histogram: (v) =>
    Array.isArray(v) &&
    v.length === 2 &&
    Array.isArray(v[0]) &&
    Array.isArray(v[1]) &&
    v[0].length === v[1].length &&
    (v[0] as unknown[]).every((x) => typeof x === 'number') &&
    (v[1] as unknown[]).every((x) => typeof x === 'number'),
};

/**
 * Checks `raw` against `shape`: a JSONEachRow result (an array of objects) or a JSONCompact one
 * (`{ meta: [{ name }], data: [[...]] }`, what the querier asks for: one JSON.parse of the answer
 * instead of one per row, and no column names repeated in every row). Only the shape's columns are
 * kept; a missing column or a value of the wrong kind throws a RowShapeError naming `what`.
 */
export function parseRows<S extends RowShape>(what: string, raw: unknown, shape: S): RowOf<S>[] {
  if (isCompact(raw)) return parseCompact(what, raw, shape);
  if (!Array.isArray(raw)) throw new RowShapeError(`${what}: expected rows, got ${describe(raw)}`);
  const columns = Object.entries(shape);
  const out: RowOf<S>[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i] as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) throw new RowShapeError(`${what}: row ${i} is ${describe(r)}`);
    const row: Record<string, unknown> = {};
    for (const [name, kind] of columns) row[name] = checked(what, i, name, kind, r[name]);
    out[i] = row as RowOf<S>;
  }
  return out;
}

interface Compact {
  meta: { name: string }[];
  data: unknown[];
}

function isCompact(raw: unknown): raw is Compact {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const r = raw as Record<string, unknown>;
  return (
    Array.isArray(r.meta) &&
    Array.isArray(r.data) &&
    r.meta.every((m) => typeof m === 'object' && m !== null && typeof (m as { name?: unknown }).name === 'string')
  );
}

function parseCompact<S extends RowShape>(what: string, raw: Compact, shape: S): RowOf<S>[] {
  const names = raw.meta.map((m) => m.name);
  const columns = Object.entries(shape).map(([name, kind]) => ({ name, kind, at: names.indexOf(name) }));
  const out: RowOf<S>[] = new Array(raw.data.length);
  for (let i = 0; i < raw.data.length; i++) {
    const r = raw.data[i];
    if (!Array.isArray(r) || r.length !== names.length) {
      throw new RowShapeError(`${what}: row ${i} is ${describe(r)}, not ${names.length} values`);
    }
    const row: Record<string, unknown> = {};
    for (const c of columns) row[c.name] = checked(what, i, c.name, c.kind, c.at < 0 ? undefined : r[c.at]);
    out[i] = row as RowOf<S>;
  }
  return out;
}

function checked(what: string, i: number, name: string, kind: ColumnKind, v: unknown): unknown {
  if (!CHECKS[kind](v)) {
    throw new RowShapeError(`${what}: row ${i}, column '${name}': expected ${kind}, got ${describe(v)}`);
  }
  return kind === 'boolean' ? v === true || v === 1 : v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'no such column';
  const s = JSON.stringify(v);
  return `${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v} ${s.length > 40 ? `${s.slice(0, 40)}...` : s}`;
}
