// The whitelist between request vocabulary and ClickHouse columns. Only these column names are
// ever spliced into SQL; every value travels as a typed query parameter.

export const DIMENSIONS = ['provider', 'model', 'key', 'tenant', 'category', 'code', 'http_status'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Column of the rollups / the raw errors table holding each dimension. */
export const DIMENSION_COLUMN: Record<Dimension, string> = {
  provider: 'provider',
  model: 'model',
  key: 'key_fp',
  tenant: 'tenant',
  category: 'category',
  code: 'code',
  http_status: 'http_status',
};

/** A bad request parameter; the message says what to change. Answered with 400. */
export class InputError extends Error {
  override name = 'InputError';
}

export function isDimension(s: string): s is Dimension {
  return (DIMENSIONS as readonly string[]).includes(s);
}

/** Values meaning "no filter" in Grafana's multi-value variables. */
const ALL_VALUES = new Set(['', '*', 'All', 'all', '$__all']);

/** `a,b , c` -> ['a','b','c']; undefined when the list is empty or means "all". */
export function parseList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0 || items.some((s) => ALL_VALUES.has(s))) return undefined;
  return [...new Set(items)];
}

/** Parses a list of dimension names, in order, without duplicates; `allowed` narrows the set. */
export function parseDimensions(
  raw: string | undefined,
  param: string,
  allowed: readonly Dimension[] = DIMENSIONS,
): Dimension[] {
  const items = parseList(raw) ?? [];
  for (const item of items) {
    if (!isDimension(item) || !allowed.includes(item)) {
      throw new InputError(`${param}: unknown dimension '${item}'; use one or more of ${allowed.join(', ')}`);
    }
  }
  return items as Dimension[];
}

export type FilterQuery = Partial<Record<Dimension, string | undefined>>;

export interface Filter {
  dimension: Dimension;
  values: string[] | number[];
}

/** The filters present in a querystring (http_status values must be integers). */
export function parseFilters(q: FilterQuery, except: readonly Dimension[] = []): Filter[] {
  const out: Filter[] = [];
  for (const dimension of DIMENSIONS) {
    if (except.includes(dimension)) continue;
    const values = parseList(q[dimension]);
    if (!values) continue;
    if (dimension === 'http_status') {
      const nums = values.map((v) => {
        if (!/^\d{1,3}$/.test(v)) {
          throw new InputError(`http_status: '${v}' is not an HTTP status; use integers like 429,500`);
        }
        return Number(v);
      });
      out.push({ dimension, values: nums });
    } else {
      out.push({ dimension, values });
    }
  }
  return out;
}

export interface SqlFragment {
  sql: string;
  params: Record<string, unknown>;
}

/** `AND col IN {f_dim:Array(T)}` for each filter; `prefix` keeps parameter names unique per query. */
/** `table` qualifies the columns (`e.tenant`) where a SELECT alias of the same name would shadow them. */
export function filterSql(filters: readonly Filter[], prefix = 'f', table?: string): SqlFragment {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  for (const f of filters) {
    const name = `${prefix}_${f.dimension}`;
    const type = f.dimension === 'http_status' ? 'Array(UInt16)' : 'Array(String)';
    parts.push(`AND ${table ? `${table}.` : ''}${DIMENSION_COLUMN[f.dimension]} IN {${name}:${type}}`);
    params[name] = f.values;
  }
  return { sql: parts.join(' '), params };
}

/** `provider, key_fp AS key` for SELECT lists. */
export function selectDims(dims: readonly Dimension[]): string {
  return dims.map((d) => (DIMENSION_COLUMN[d] === d ? d : `${DIMENSION_COLUMN[d]} AS ${d}`)).join(', ');
}
