// Request vocabulary: parsing dimension lists and filters from querystrings. The whitelist of
// columns and the SQL they become live in the store (services/store/dimensions.ts).
import { DIMENSIONS, type Dimension, type Filter } from '../store/dimensions.js';

export {
  DIMENSIONS,
  type Dimension,
  type Filter,
  filterSql,
  selectDims,
} from '../store/dimensions.js';

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
