// The whitelist between request vocabulary and ClickHouse columns. Only these column names are
// ever spliced into SQL; every value travels as a typed query parameter. The API parses requests
// into these types (services/api/dimensions.ts); the store turns them into SQL.

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

export interface Filter {
  dimension: Dimension;
  values: string[] | number[];
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

/** The kinds of the label columns `selectDims(dims)` returns (for rows.ts). */
export function dimensionShape(dims: readonly Dimension[]): Record<string, 'string' | 'number'> {
  return Object.fromEntries(dims.map((d) => [d, d === 'http_status' ? 'number' : 'string']));
}
