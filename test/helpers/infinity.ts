// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana writes its macros and variables as ${name}.
// An emulation of what Grafana does with errorscope's dashboards and alert rules, so the tests can
// run every panel query and every alert rule against the real API without a Grafana:
//   1. the frontend's template interpolation (time macros, $__interval, variables with :csv, "All"),
//   2. the Infinity backend: its own macros, URL building, the backend JSON parser (root selector,
//      columns, types) and the long-to-wide step of the "timeseries" format,
//   3. server-side expressions of unified alerting (table -> number set, reduce, math, threshold)
//      and the pending / keep-firing state machine.
// Written from the sources of grafana-infinity-datasource (pkg/infinity, pkg/models), infinity-libs
// (jsonframer, gframer, macros) and grafana (pkg/expr): where they have quirks that matter to us the
// quirk is reproduced and named (e.g. columns are emitted in alphabetical order of their names).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

// ---------------------------------------------------------------------------------------------
// Shapes (only the fields errorscope's files use)

interface InfinityColumn {
  selector: string;
  text: string;
  type: string;
}

export interface InfinityQuery {
  refId: string;
  type: string;
  source: string;
  parser: string;
  format?: string;
  url: string;
  url_options?: { method?: string; params?: { key: string; value: string }[] };
  root_selector: string;
  columns: InfinityColumn[];
}

type FieldType = 'string' | 'number' | 'time' | 'boolean';

interface Field {
  name: string;
  type: FieldType;
  /** time fields hold epoch ms. */
  values: (string | number | boolean | null)[];
  labels?: Record<string, string>;
}

export interface Frame {
  name: string;
  fields: Field[];
}

// ---------------------------------------------------------------------------------------------
// 1. Grafana frontend interpolation

export interface VariableValue {
  /** Selected values; ['$__all'] for "All". */
  value: string[];
  /** Every option the variable offers (for "All" without an allValue). */
  options?: string[];
  /** The variable's custom all value (allValue), if any. */
  allValue?: string | null;
}

export interface InterpolationContext {
  fromMs: number;
  toMs: number;
  /** $__interval in ms (see calculateIntervalMs). */
  intervalMs: number;
  variables: Record<string, VariableValue>;
}

/** Grafana's interval rounding (rangeutil.roundInterval). */
function roundIntervalMs(interval: number): number {
  const steps: [number, number][] = [
    [10, 1],
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1_500, 1_000],
    [3_500, 2_000],
    [7_500, 5_000],
    [12_500, 10_000],
    [17_500, 15_000],
    [25_000, 20_000],
    [45_000, 30_000],
    [90_000, 60_000],
    [210_000, 120_000],
    [450_000, 300_000],
    [750_000, 600_000],
    [1_050_000, 900_000],
    [1_500_000, 1_200_000],
    [2_700_000, 1_800_000],
    [5_400_000, 3_600_000],
    [9_000_000, 7_200_000],
    [16_200_000, 10_800_000],
    [24_300_000, 21_600_000],
    [64_800_000, 43_200_000],
    [129_600_000, 86_400_000],
    [604_800_000, 86_400_000],
    [1_814_400_000, 604_800_000],
    [3_628_800_000, 2_592_000_000],
  ];
  for (const [limit, value] of steps) if (interval <= limit) return value;
  return 31_536_000_000;
}

/** $__interval for a panel: range / max data points, rounded the way Grafana rounds it. */
export function calculateIntervalMs(fromMs: number, toMs: number, maxDataPoints = 1000): number {
  return roundIntervalMs((toMs - fromMs) / maxDataPoints);
}

/** Grafana's interval text ("30s", "1m", "1h", "1d"). */
export function formatInterval(ms: number): string {
  const units: [string, number][] = [
    ['y', 31_536_000_000],
    ['w', 604_800_000],
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  for (const [unit, size] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

const VARIABLE_RE = /\$(\w+)|\[\[(\w+)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([\w.]+))?(?::([^}]+))?\}/g;

function formatValues(values: string[], format: string | undefined, name: string): string {
  if (values.length === 1 && (format === undefined || format === 'raw' || format === 'csv')) return values[0] ?? '';
  switch (format) {
    case 'csv':
    case 'raw':
      return values.join(',');
    case 'pipe':
      return values.join('|');
    default:
      // Without a format a multi-value variable becomes {a,b} (glob): not what the API reads.
      throw new InterpolationError(
        `variable $${name} has ${values.length} values but no :csv format; the API expects a comma-separated list`,
      );
  }
}

/**
 * What Grafana's templateSrv.replace does to a query string before the Infinity frontend sends it:
 * built-in time variables, $__interval, and dashboard variables with their format.
 * Unknown variables are left as they are (Grafana does the same), see unresolvedVariables().
 */
export function interpolateFrontend(text: string, ctx: InterpolationContext): string {
  return text.replace(
    VARIABLE_RE,
    (match, plain?: string, bracket?: string, bracketFmt?: string, braced?: string, _path?: string, fmt?: string) => {
      const name = plain ?? bracket ?? braced ?? '';
      const format = bracketFmt ?? fmt;
      switch (name) {
        case '__from':
          return timeMacro(ctx.fromMs, format);
        case '__to':
          return timeMacro(ctx.toMs, format);
        case '__interval':
          return formatInterval(ctx.intervalMs);
        case '__interval_ms':
          return String(ctx.intervalMs);
        case '__range':
          return formatInterval(ctx.toMs - ctx.fromMs);
        case '__range_ms':
          return String(ctx.toMs - ctx.fromMs);
        case '__range_s':
          return String(Math.round((ctx.toMs - ctx.fromMs) / 1000));
      }
      const variable = ctx.variables[name];
      if (!variable) return match;
      if (variable.value.length === 1 && variable.value[0] === '$__all') {
        // A custom all value is used as it is, not formatted (templateSrv skips formatting for it).
        if (variable.allValue) return variable.allValue;
        return formatValues(variable.options ?? [], format, name);
      }
      return formatValues(variable.value, format, name);
    },
  );
}

function timeMacro(ms: number, format: string | undefined): string {
  if (format === undefined) return String(ms);
  if (format === 'date' || format === 'date:iso') return new Date(ms).toISOString();
  if (format === 'date:seconds') return String(Math.floor(ms / 1000));
  throw new InterpolationError(`time macro format '${format}' is not emulated`);
}

/** Variables / macros still present in a string (after interpolation this must be empty). */
export function unresolvedVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE_RE)].map((m) => m[0]);
}

// ---------------------------------------------------------------------------------------------
// 2. The Infinity backend

/**
 * Macros the Infinity BACKEND expands itself (pkg/models/macros.go + infinity-libs macros): the only
 * ones available when an alert rule runs, since no frontend is involved then. ${__interval} is only
 * replaced when the request carries an interval.
 */
export function interpolateBackendMacros(text: string, fromMs: number, toMs: number, intervalMs = 0): string {
  let out = text;
  if (intervalMs > 0) {
    const macro = (name: string) => `$\{${name}}`;
    out = out
      .replaceAll(macro('__interval'), formatInterval(intervalMs))
      .replaceAll(macro('__interval_ms'), String(intervalMs));
  }
  out = out.replace(/\$\{(__from|__to|__timeFrom|__timeTo)(?::([^}]+))?\}/g, (_m, name: string, fmt?: string) =>
    timeMacro(name === '__from' || name === '__timeFrom' ? fromMs : toMs, fmt),
  );
  return out.trim();
}

/** Go's url.QueryEscape (spaces as '+'). */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The URL the Infinity backend requests (request.go GetQueryURL): the data source URL is prefixed
 * unless the query URL already starts with it, then url_options.params are added and the query
 * string is re-encoded by Go's url.Values.Encode (keys sorted, values in insertion order).
 */
export function buildRequestUrl(query: InfinityQuery, dataSourceUrl: string): URL {
  const raw = query.url.startsWith(dataSourceUrl) ? query.url : dataSourceUrl + query.url;
  const u = new URL(raw);
  const values = new Map<string, string[]>();
  for (const [k, v] of u.searchParams) values.set(k, [...(values.get(k) ?? []), v]);
  for (const p of query.url_options?.params ?? []) values.set(p.key, [...(values.get(p.key) ?? []), p.value]);
  const encoded = [...values.keys()]
    .sort()
    .flatMap((k) => (values.get(k) ?? []).map((v) => `${goQueryEscape(k)}=${goQueryEscape(v)}`))
    .join('&');
  u.search = encoded;
  return u;
}

/**
 * Go's %v for a float64 (strconv 'g', shortest digits, exponent when exp < -4 || exp >= 6):
 * 1000000 -> "1e+06". gframer formats numbers this way when a column typed string gets a number.
 */
export function goFormatFloat(f: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant = '', e = '0'] = f.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** gjson path lookup for the simple paths we use (a.b.c); anything else is refused, loudly. */
function gjsonGet(value: unknown, path: string): { exists: boolean; value: unknown } {
  if (!/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(path)) {
    throw new Error(`selector '${path}' is not a plain gjson path; the emulation does not cover it`);
  }
  let cur: unknown = value;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !(part in (cur as object))) {
      return { exists: false, value: undefined };
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return { exists: true, value: cur };
}

function convertColumn(
  raw: unknown[],
  type: string,
): { type: FieldType; values: (string | number | boolean | null)[] } {
  switch (type) {
    case 'string':
      return {
        type: 'string',
        values: raw.map((v) =>
          typeof v === 'string'
            ? v
            : typeof v === 'number'
              ? goFormatFloat(v)
              : typeof v === 'boolean'
                ? String(v)
                : null,
        ),
      };
    case 'number':
      return {
        type: 'number',
        values: raw.map((v) => {
          if (typeof v === 'number') return v;
          if (typeof v === 'string') {
            const n = Number(v);
            return v.trim() !== '' && !Number.isNaN(n) ? n : null;
          }
          return null;
        }),
      };
    case 'timestamp_epoch':
      return {
        type: 'time',
        values: raw.map((v) => {
          if (typeof v === 'number') return Math.trunc(v);
          if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
          return null;
        }),
      };
    case 'timestamp_epoch_s':
      return {
        type: 'time',
        values: raw.map((v) => (typeof v === 'number' ? Math.trunc(v) * 1000 : null)),
      };
    case 'boolean':
      return {
        type: 'boolean',
        values: raw.map((v) =>
          typeof v === 'boolean' ? v : typeof v === 'string' && v.toLowerCase() === 'true' ? true : null,
        ),
      };
    default:
      throw new Error(`column type '${type}' is not emulated (use string, number, timestamp_epoch, boolean)`);
  }
}

/**
 * The Infinity backend parser for a JSON response (jsonframer + gframer):
 *  - the root selector is a gjson path; a missing root yields an EMPTY frame, not an error;
 *  - every row becomes an object keyed by column name (text, else selector) holding the selected value;
 *  - fields come out in alphabetical order of those names, and a field is only emitted for a column
 *    whose SELECTOR equals that name (so a column renamed with text != selector silently vanishes);
 *  - no rows: a frame without fields.
 */
export function parseBackendResponse(
  body: unknown,
  query: Pick<InfinityQuery, 'refId' | 'root_selector' | 'columns'>,
): Frame {
  const frame: Frame = { name: query.refId, fields: [] };
  let root: unknown = body;
  if (query.root_selector) {
    const r = gjsonGet(body, query.root_selector);
    if (!r.exists) return frame;
    root = r.value;
  }
  const rows: unknown[] = Array.isArray(root) ? root : root !== null && typeof root === 'object' ? [root] : [];
  if (query.columns.length === 0) throw new Error('the emulation requires explicit columns');
  if (rows.length === 0) return frame;
  const named = rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const col of query.columns) {
      const r = gjsonGet(row, col.selector);
      out[col.text || col.selector] = r.exists ? r.value : null;
    }
    return out;
  });
  const names = [...new Set(named.flatMap((o) => Object.keys(o)))].sort();
  for (const name of names) {
    const raw = named.map((o) => o[name]);
    const nested = raw.some((v) => v !== null && typeof v === 'object');
    if (nested) {
      frame.fields.push({ name, type: 'string', values: raw.map((v) => (v === null ? null : JSON.stringify(v))) });
      continue;
    }
    for (const col of query.columns) {
      if (col.selector !== name) continue;
      const converted = convertColumn(raw, col.type);
      frame.fields.push({ name: col.text || col.selector, ...converted });
    }
  }
  return frame;
}

export type SeriesSchema = 'not' | 'wide' | 'long';

/** data.Frame.TimeSeriesSchema(): a time field, and string "factor" fields make it long. */
export function timeSeriesSchema(frame: Frame): SeriesSchema {
  if (!frame.fields.some((f) => f.type === 'time')) return 'not';
  return frame.fields.some((f) => f.type === 'string') ? 'long' : 'wide';
}

class LongToWideError extends Error {
  override name = 'LongToWideError';
}

/**
 * data.LongToWide with FillModeNull: one value field per (numeric field, factor combination), labels
 * from the factors, one row per distinct time. The long frame must be sorted ascending by time.
 */
export function longToWide(frame: Frame): Frame {
  const timeIdx = frame.fields.findIndex((f) => f.type === 'time');
  const time = frame.fields[timeIdx];
  if (!time) throw new LongToWideError('no time field');
  const factors = frame.fields.filter((f) => f.type === 'string');
  const values = frame.fields.filter((f) => f.type === 'number');
  const n = time.values.length;
  for (let i = 1; i < n; i++) {
    if ((time.values[i] as number) < (time.values[i - 1] as number)) {
      throw new LongToWideError('long series must be sorted ascending by time to be converted');
    }
  }
  const times: number[] = [];
  for (const t of time.values) if (times.at(-1) !== t) times.push(t as number);
  const out: Field[] = [{ name: time.name, type: 'time', values: times }];
  const byKey = new Map<string, Field>();
  for (let i = 0; i < n; i++) {
    const labels: Record<string, string> = {};
    for (const f of factors) labels[f.name] = (f.values[i] as string | null) ?? '';
    const row = times.indexOf(time.values[i] as number);
    for (const v of values) {
      const key = `${v.name}\u0000${labelKey(labels)}`;
      let field = byKey.get(key);
      if (!field) {
        field = { name: v.name, type: 'number', values: times.map(() => null), labels };
        byKey.set(key, field);
        out.push(field);
      }
      if (field.values[row] !== null) throw new LongToWideError(`duplicate row for ${key} at ${time.values[i]}`);
      field.values[row] = v.values[i] ?? null;
    }
  }
  return { name: frame.name, fields: out };
}

/** PostProcessFrame: the "timeseries" format turns a long frame wide (on failure the frame stays long). */
export function postProcess(frame: Frame, format: string | undefined): { frame: Frame; error?: string } {
  if (format === 'timeseries' && timeSeriesSchema(frame) === 'long') {
    try {
      return { frame: longToWide(frame) };
    } catch (err) {
      return { frame, error: (err as Error).message };
    }
  }
  return { frame };
}

// ---------------------------------------------------------------------------------------------
// 3. Server-side expressions (pkg/expr) and the alert state machine

export type Labels = Record<string, string>;

export function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

interface NumberItem {
  labels: Labels;
  value: number;
}

/** A query or expression result: a set of labelled numbers, or "no data". */
export type NumberSet = { kind: 'numbers'; items: NumberItem[] } | { kind: 'nodata' };

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/**
 * ResultConverter.Convert for one frame: no fields -> no data; a table without a time field with
 * exactly one number column and otherwise only string columns -> a number set whose labels are the
 * string columns (a null number reads as NaN). Anything else cannot be alerted on directly.
 * Duplicate label sets make the rule fail in Grafana ("cannot uniquely identify"), so they throw.
 */
export function frameToNumberSet(frame: Frame): NumberSet {
  if (frame.fields.length === 0) return { kind: 'nodata' };
  if (timeSeriesSchema(frame) !== 'not') {
    throw new ExpressionError(
      `frame ${frame.name} has a time field: alert queries must return a table (one number column)`,
    );
  }
  const numeric = frame.fields.filter((f) => f.type === 'number');
  const other = frame.fields.filter((f) => f.type !== 'number' && f.type !== 'string');
  if (numeric.length !== 1 || other.length > 0) {
    throw new ExpressionError(
      `frame ${frame.name} is not a number table: ${numeric.length} number columns (need exactly 1), ${other.length} other non-string columns`,
    );
  }
  const num = numeric[0]!;
  const strings = frame.fields.filter((f) => f.type === 'string');
  const seen = new Set<string>();
  const items: NumberItem[] = num.values.map((v, row) => {
    const labels: Labels = {};
    for (const s of strings) {
      const lv = s.values[row];
      if (typeof lv !== 'string')
        throw new ExpressionError(`frame ${frame.name}: null label '${s.name}' in row ${row}`);
      labels[s.name] = lv;
    }
    const key = labelKey(labels);
    if (seen.has(key)) throw new ExpressionError(`frame ${frame.name}: duplicate label set {${key}}`);
    seen.add(key);
    return { labels, value: typeof v === 'number' ? v : Number.NaN };
  });
  return { kind: 'numbers', items };
}

export interface ReduceSettings {
  mode?: '' | 'dropNN' | 'replaceNN';
  replaceWithValue?: number;
}

/** Reduce over a number set is a no-op apart from the NaN mapper (pkg/expr/commands.go ReduceCommand). */
export function reduce(input: NumberSet, reducer: string, settings: ReduceSettings = {}): NumberSet {
  const known = ['last', 'mean', 'min', 'max', 'sum', 'count', 'median'];
  if (!known.includes(reducer)) throw new ExpressionError(`unknown reducer '${reducer}'`);
  if (input.kind === 'nodata') return input;
  const items: NumberItem[] = [];
  for (const it of input.items) {
    let value = reducer === 'count' ? 1 : it.value;
    if (Number.isNaN(value)) {
      if (settings.mode === 'dropNN') continue;
      if (settings.mode === 'replaceNN') value = settings.replaceWithValue ?? 0;
    }
    items.push({ labels: it.labels, value });
  }
  return { kind: 'numbers', items };
}

export interface ThresholdEvaluator {
  type: 'gt' | 'lt' | 'within_range' | 'outside_range';
  params: number[];
}

export function threshold(input: NumberSet, evaluator: ThresholdEvaluator): NumberSet {
  if (input.kind === 'nodata') return input;
  const [a = Number.NaN, b = Number.NaN] = evaluator.params;
  const test = (v: number): boolean => {
    switch (evaluator.type) {
      case 'gt':
        return v > a;
      case 'lt':
        return v < a;
      case 'within_range':
        return v > Math.min(a, b) && v < Math.max(a, b);
      case 'outside_range':
        return v < Math.min(a, b) || v > Math.max(a, b);
    }
  };
  return { kind: 'numbers', items: input.items.map((it) => ({ labels: it.labels, value: test(it.value) ? 1 : 0 })) };
}

function isSubset(small: Labels, big: Labels): boolean {
  return Object.entries(small).every(([k, v]) => big[k] === v);
}

/** Binary join of two number sets (mathexp union): equal labels, or one label set contained in the other. */
function union(a: NumberItem[], b: NumberItem[]): { labels: Labels; a: number; b: number }[] {
  const out: { labels: Labels; a: number; b: number }[] = [];
  for (const x of a) {
    for (const y of b) {
      const lx = Object.keys(x.labels).length;
      const ly = Object.keys(y.labels).length;
      if (lx >= ly && isSubset(y.labels, x.labels)) out.push({ labels: x.labels, a: x.value, b: y.value });
      else if (ly > lx && isSubset(x.labels, y.labels)) out.push({ labels: y.labels, a: x.value, b: y.value });
    }
  }
  if (out.length === 0 && a.length === 1 && b.length === 1) {
    out.push({ labels: a[0]!.labels, a: a[0]!.value, b: b[0]!.value });
  }
  return out;
}

type Token = { t: 'num'; v: number } | { t: 'var'; v: string } | { t: 'op'; v: string } | { t: '(' } | { t: ')' };

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|\$\{?([A-Za-z_]\w*)\}?|(&&|\|\||==|!=|>=|<=|[-+*/%<>!^])|(\()|(\)))/y;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(expr);
    if (!m) throw new ExpressionError(`cannot parse math expression at '${expr.slice(pos)}'`);
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'var', v: m[2] });
    else if (m[3] !== undefined) out.push({ t: 'op', v: m[3] });
    else if (m[4] !== undefined) out.push({ t: '(' });
    else out.push({ t: ')' });
    pos = re.lastIndex;
  }
  return out;
}

/** The variables ($A) a math expression reads. */
export function mathVariables(expr: string): string[] {
  return tokenize(expr)
    .filter((t): t is { t: 'var'; v: string } => t.t === 'var')
    .map((t) => t.v);
}

type Operand = { kind: 'scalar'; value: number } | { kind: 'set'; set: NumberSet };

const PRECEDENCE: Record<string, number> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '>': 4,
  '<': 4,
  '>=': 4,
  '<=': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
  '^': 7,
};

function applyBinary(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '%':
      return a % b;
    case '^':
      return a ** b;
    case '>':
      return a > b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '&&':
      return a !== 0 && b !== 0 && !Number.isNaN(a) && !Number.isNaN(b) ? 1 : 0;
    case '||':
      return (a !== 0 && !Number.isNaN(a)) || (b !== 0 && !Number.isNaN(b)) ? 1 : 0;
  }
  throw new ExpressionError(`unknown operator ${op}`);
}

function binary(op: string, x: Operand, y: Operand): Operand {
  if (x.kind === 'scalar' && y.kind === 'scalar') return { kind: 'scalar', value: applyBinary(op, x.value, y.value) };
  if (x.kind === 'set' && x.set.kind === 'nodata') return x;
  if (y.kind === 'set' && y.set.kind === 'nodata') return y;
  if (x.kind === 'set' && y.kind === 'scalar' && x.set.kind === 'numbers') {
    return {
      kind: 'set',
      set: {
        kind: 'numbers',
        items: x.set.items.map((i) => ({ labels: i.labels, value: applyBinary(op, i.value, y.value) })),
      },
    };
  }
  if (x.kind === 'scalar' && y.kind === 'set' && y.set.kind === 'numbers') {
    return {
      kind: 'set',
      set: {
        kind: 'numbers',
        items: y.set.items.map((i) => ({ labels: i.labels, value: applyBinary(op, x.value, i.value) })),
      },
    };
  }
  if (x.kind === 'set' && y.kind === 'set' && x.set.kind === 'numbers' && y.set.kind === 'numbers') {
    return {
      kind: 'set',
      set: {
        kind: 'numbers',
        items: union(x.set.items, y.set.items).map((u) => ({ labels: u.labels, value: applyBinary(op, u.a, u.b) })),
      },
    };
  }
  throw new ExpressionError('unsupported operands');
}

/** Evaluates a math expression ($A > 0 && $B >= 3) over number sets. */
export function math(expr: string, vars: Record<string, NumberSet>): NumberSet {
  const tokens = tokenize(expr);
  let i = 0;
  const primary = (): Operand => {
    const tok = tokens[i++];
    if (!tok) throw new ExpressionError(`unexpected end of '${expr}'`);
    if (tok.t === 'num') return { kind: 'scalar', value: tok.v };
    if (tok.t === 'var') {
      const set = vars[tok.v];
      if (!set) throw new ExpressionError(`math expression '${expr}' reads $${tok.v}, which is not defined`);
      return { kind: 'set', set };
    }
    if (tok.t === '(') {
      const v = parse(0);
      if (tokens[i++]?.t !== ')') throw new ExpressionError(`missing ) in '${expr}'`);
      return v;
    }
    if (tok.t === 'op' && (tok.v === '-' || tok.v === '!')) {
      const v = primary();
      return binary(tok.v === '-' ? '*' : '==', v, { kind: 'scalar', value: tok.v === '-' ? -1 : 0 });
    }
    throw new ExpressionError(`unexpected token in '${expr}'`);
  };
  const parse = (minPrec: number): Operand => {
    let left = primary();
    for (;;) {
      const tok = tokens[i];
      if (tok?.t !== 'op') break;
      const prec = PRECEDENCE[tok.v];
      if (prec === undefined || prec < minPrec) break;
      i++;
      const right = parse(tok.v === '^' ? prec : prec + 1);
      left = binary(tok.v, left, right);
    }
    return left;
  };
  const result = parse(0);
  if (i !== tokens.length) throw new ExpressionError(`trailing tokens in '${expr}'`);
  if (result.kind === 'scalar') return { kind: 'numbers', items: [{ labels: {}, value: result.value }] };
  return result.set;
}

// ---------------------------------------------------------------------------------------------
// Alert rules (the provisioning file shape) and their evaluation

interface AlertQuery {
  refId: string;
  datasourceUid: string;
  relativeTimeRange?: { from: number; to: number };
  model: Record<string, unknown>;
}

export interface AlertRule {
  uid: string;
  title: string;
  condition: string;
  data: AlertQuery[];
  for?: string;
  keepFiringFor?: string;
  noDataState?: string;
  execErrState?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type Fetch = (pathAndQuery: string) => Promise<unknown>;

export interface RuleEvaluation {
  /** Results of every refId (queries and expressions). */
  results: Record<string, NumberSet>;
  /** Label sets for which the condition is true (non-zero, not NaN). */
  firing: Labels[];
  /** Whether the condition had no data (noDataState applies). */
  noData: boolean;
  /** Every URL requested, in order. */
  urls: string[];
}

/**
 * One evaluation of a rule at `nowMs`, the way the ngalert scheduler runs it: each data query with
 * its relative time range through the Infinity backend (macros, URL, parser, format), converted to
 * a number set; then the expressions in dependency order.
 */
export async function evaluateRule(
  rule: AlertRule,
  nowMs: number,
  fetch: Fetch,
  dataSourceUrl = 'http://errorscope',
): Promise<RuleEvaluation> {
  const byRef = new Map(rule.data.map((q) => [q.refId, q]));
  const results: Record<string, NumberSet> = {};
  const urls: string[] = [];
  const resolve = async (refId: string, stack: string[] = []): Promise<NumberSet> => {
    const cached = results[refId];
    if (cached) return cached;
    if (stack.includes(refId)) throw new ExpressionError(`cycle: ${[...stack, refId].join(' -> ')}`);
    const q = byRef.get(refId);
    if (!q) throw new ExpressionError(`rule ${rule.uid}: refId ${refId} is not defined`);
    let out: NumberSet;
    if (q.datasourceUid === '__expr__') {
      const m = q.model as {
        type: string;
        expression: string;
        reducer?: string;
        settings?: ReduceSettings;
        conditions?: { evaluator: ThresholdEvaluator }[];
      };
      if (m.type === 'reduce')
        out = reduce(await resolve(m.expression, [...stack, refId]), m.reducer ?? 'last', m.settings);
      else if (m.type === 'threshold') {
        const ev = m.conditions?.[0]?.evaluator;
        if (!ev) throw new ExpressionError(`threshold ${refId} has no evaluator`);
        out = threshold(await resolve(m.expression, [...stack, refId]), ev);
      } else if (m.type === 'math') {
        const vars: Record<string, NumberSet> = {};
        for (const v of mathVariables(m.expression)) vars[v] = await resolve(v, [...stack, refId]);
        out = math(m.expression, vars);
      } else throw new ExpressionError(`expression type '${m.type}' is not emulated`);
    } else {
      const range = q.relativeTimeRange ?? { from: 600, to: 0 };
      const fromMs = nowMs - range.from * 1000;
      const toMs = nowMs - range.to * 1000;
      const query = resolveBackendQuery(q.model as unknown as InfinityQuery, fromMs, toMs, 0);
      const url = buildRequestUrl(query, dataSourceUrl);
      const path = `${url.pathname}${url.search}`;
      urls.push(path);
      const body = await fetch(path);
      const { frame } = postProcess(parseBackendResponse(body, query), query.format);
      out = frameToNumberSet(frame);
    }
    results[refId] = out;
    return out;
  };
  for (const q of rule.data) await resolve(q.refId);
  const cond = results[rule.condition];
  if (!cond) throw new ExpressionError(`rule ${rule.uid}: condition ${rule.condition} is not a refId`);
  const firing =
    cond.kind === 'numbers'
      ? cond.items.filter((i) => i.value !== 0 && !Number.isNaN(i.value)).map((i) => i.labels)
      : [];
  return { results, firing, noData: cond.kind === 'nodata', urls };
}

/** The Infinity backend's view of a query: macros applied to url and params (what alerting sends). */
export function resolveBackendQuery(
  query: InfinityQuery,
  fromMs: number,
  toMs: number,
  intervalMs: number,
): InfinityQuery {
  return {
    ...query,
    url: interpolateBackendMacros(query.url, fromMs, toMs, intervalMs),
    url_options: {
      ...query.url_options,
      params: (query.url_options?.params ?? []).map((p) => ({
        key: p.key,
        value: interpolateBackendMacros(p.value, fromMs, toMs, intervalMs),
      })),
    },
  };
}

/** Prometheus-style duration ("2m", "1h30m") in ms. */
export function parseDuration(s: string | undefined): number {
  if (!s) return 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  const unit: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 };
  let total = 0;
  let consumed = '';
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * (unit[m[2]!] ?? 0);
    consumed += m[0];
  }
  if (consumed !== s) throw new Error(`invalid duration '${s}'`);
  return total;
}

export type AlertState = 'normal' | 'pending' | 'alerting';

interface InstanceState {
  state: AlertState;
  activeSince: number;
  lastTrue: number;
}

/**
 * The per-instance state machine of Grafana alerting: a true condition makes an instance Pending,
 * Alerting once it has been true for `for`; after it turns false an Alerting instance keeps firing
 * for `keepFiringFor` (a Pending one goes back to Normal at once).
 */
export class AlertStateMachine {
  private readonly instances = new Map<string, InstanceState & { labels: Labels }>();
  constructor(
    private readonly forMs: number,
    private readonly keepFiringForMs: number,
  ) {}

  step(nowMs: number, firing: Labels[]): Map<string, AlertState> {
    const trueNow = new Set(firing.map(labelKey));
    for (const labels of firing) {
      const key = labelKey(labels);
      const cur = this.instances.get(key);
      if (!cur || cur.state === 'normal') {
        this.instances.set(key, {
          labels,
          state: this.forMs === 0 ? 'alerting' : 'pending',
          activeSince: nowMs,
          lastTrue: nowMs,
        });
      } else {
        cur.lastTrue = nowMs;
        if (cur.state === 'pending' && nowMs - cur.activeSince >= this.forMs) cur.state = 'alerting';
      }
    }
    for (const [key, cur] of this.instances) {
      if (trueNow.has(key)) continue;
      if (cur.state === 'pending') cur.state = 'normal';
      else if (cur.state === 'alerting' && nowMs - cur.lastTrue >= this.keepFiringForMs) cur.state = 'normal';
    }
    return new Map([...this.instances].map(([k, v]) => [k, v.state]));
  }

  alerting(): Labels[] {
    return [...this.instances.values()].filter((v) => v.state === 'alerting').map((v) => v.labels);
  }
}

// ---------------------------------------------------------------------------------------------
// errorscope's provisioning files

const DASHBOARDS_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  targets: InfinityQuery[];
  [k: string]: unknown;
}

interface DashboardVariable {
  type: string;
  name: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  current?: { text?: unknown; value?: unknown };
  query?: unknown;
  [k: string]: unknown;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
  [k: string]: unknown;
}

export interface ProvisioningFile {
  /** Path relative to dashboards/. */
  path: string;
  content: Record<string, unknown>;
}

/** Every file under dashboards/, parsed (YAML or JSON). */
export function loadProvisioningFiles(): ProvisioningFile[] {
  const out: ProvisioningFile[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(DASHBOARDS_DIR, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else {
        const text = readFileSync(join(DASHBOARDS_DIR, rel), 'utf8');
        const content = rel.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
        out.push({ path: rel, content });
      }
    }
  };
  walk('');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export function loadDashboards(): Dashboard[] {
  return loadProvisioningFiles()
    .filter((f) => f.path.startsWith('json/'))
    .map((f) => f.content as unknown as Dashboard);
}

export function loadAlertRules(): AlertRule[] {
  return loadProvisioningFiles()
    .filter((f) => f.path.startsWith('provisioning/alerting/') && 'groups' in f.content)
    .flatMap((f) => (f.content.groups as { rules: AlertRule[] }[]).flatMap((g) => g.rules));
}

/** Every query a dashboard runs: panel targets, Infinity annotation queries and variable queries. */
export function dashboardQueries(d: Dashboard): { where: string; query: InfinityQuery }[] {
  const out: { where: string; query: InfinityQuery }[] = [];
  for (const p of d.panels)
    for (const t of p.targets) out.push({ where: `${d.uid} / ${p.title} / ${t.refId}`, query: t });
  const annotations = (d.annotations as { list?: { name: string; target?: InfinityQuery }[] } | undefined)?.list;
  for (const a of annotations ?? []) {
    if (a.target?.type === 'json') out.push({ where: `${d.uid} / annotation ${a.name}`, query: a.target });
  }
  for (const v of d.templating.list) {
    const iq = (v.query as { infinityQuery?: InfinityQuery } | undefined)?.infinityQuery;
    if (v.type === 'query' && iq) out.push({ where: `${d.uid} / $${v.name}`, query: iq });
  }
  return out;
}

/** The frontend then backend view of a dashboard query for given variable values. */
export function resolveDashboardQuery(query: InfinityQuery, ctx: InterpolationContext): InfinityQuery {
  const front: InfinityQuery = {
    ...query,
    url: interpolateFrontend(query.url, ctx),
    url_options: {
      ...query.url_options,
      params: (query.url_options?.params ?? []).map((p) => ({ key: p.key, value: interpolateFrontend(p.value, ctx) })),
    },
  };
  return resolveBackendQuery(front, ctx.fromMs, ctx.toMs, ctx.intervalMs);
}

/**
 * Grafana's env expansion of provisioning values (values.go interpolateValue): $VAR and ${VAR} via
 * os.ExpandEnv, '$$' for a literal '$'. Unset variables become ''.
 */
export function expandProvisioningEnv(value: string, env: Record<string, string | undefined>): string {
  return value
    .split('$$')
    .map((part) => part.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a?: string, b?: string) => env[a ?? b ?? ''] ?? ''))
    .join('$');
}

/** Names of the environment variables a provisioning string reads ($VAR / ${VAR}, not $$). */
export function provisioningEnvNames(value: string): string[] {
  return value.split('$$').flatMap((part) => [...part.matchAll(/\$\{(\w+)\}|\$(\w+)/g)].map((m) => m[1] ?? m[2] ?? ''));
}
