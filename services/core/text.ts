// Message text helpers: template regexes, reset-time parsing, SDK string formats. Pure.
import type { Category } from './types.js';

export interface CompiledTemplate {
  re: RegExp;
  /** Capture group name -> output variable name (lower case). */
  names: ReadonlyArray<readonly [group: string, out: string]>;
}

const VAR = /\$\{(\w+)\}/g;

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&').replace(/\s+/g, '\\s*');
}

/** Compiles `Usage limit reached for ${period}. ...` into a search regex with named groups; null without variables. */
export function compileTemplate(template: string): CompiledTemplate | null {
  const vars = [...template.matchAll(VAR)];
  if (vars.length === 0) return null;
  let src = '';
  let last = 0;
  const names: [string, string][] = [];
  vars.forEach((m, i) => {
    src += escapeLiteral(template.slice(last, m.index));
    const group = m[1]!;
    names.push([group, group.toLowerCase()]);
    const tail = template.slice(m.index + m[0].length).trim();
    // A trailing variable runs to the end of the bracket part / `(request id` suffix / text.
    src +=
      i === vars.length - 1 && /^[.。]?$/.test(tail)
        ? `(?<${group}>[^\\[\\]()]+?)(?=\\s*[[\\]()]|\\s*[.。]?\\s*$)`
        : `(?<${group}>[^\\[\\]]+?)`;
    last = m.index + m[0].length;
  });
  const rest = template.slice(last).replace(/[.。]\s*$/, '');
  src += escapeLiteral(rest);
  return { re: new RegExp(src, 'i'), names };
}

export function applyTemplate(t: CompiledTemplate, message: string, into: Record<string, string>): boolean {
  const m = t.re.exec(message);
  if (!m?.groups) return false;
  for (const [group, out] of t.names) {
    const v = m.groups[group];
    if (v !== undefined) into[out] = v.trim();
  }
  return true;
}

const DATE_TIME =
  /(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2}))?/i;

const CST_OFFSET_MS = 8 * 3600_000;

/**
 * Parses `2026-08-25 07:41:44` (optionally with a zone) to epoch ms. A time without a zone is taken as
 * China Standard Time (UTC+8) when `zonelessIsCst` (Zhipu/Z.AI write it that way), else as UTC.
 */
export function parseDateTime(text: string, zonelessIsCst: boolean): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0, ms);
  const zone = m[8];
  if (zone === undefined) {
    if (zonelessIsCst) t -= CST_OFFSET_MS;
  } else if (zone[0] === '+' || zone[0] === '-') {
    const z = zone.replace(':', '');
    const off = (+z.slice(1, 3) * 60 + +z.slice(3, 5)) * 60_000;
    t -= zone[0] === '+' ? off : -off;
  }
  return Number.isFinite(t) ? t : null;
}

const RESET_PHRASE =
  /(?:reset(?:s)?\s+(?:at|on)|resets?:|try again (?:at|after)|将在|重置时间[:：]?)\s*(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)/i;

/** `... will reset at 2026-08-25 07:41:44` / `将在 2026-08-25 07:41:44 重置` -> epoch ms, or null. */
export function findResetTime(message: string, zonelessIsCst: boolean): number | null {
  if (
    !message.includes('reset') &&
    !message.includes('Reset') &&
    !message.includes('重置') &&
    !message.includes('try again')
  )
    return null;
  const m = RESET_PHRASE.exec(message);
  return m ? parseDateTime(m[1]!, zonelessIsCst) : null;
}

/** Retry-After: delta seconds or an HTTP date, relative to the call time. */
export function parseRetryAfter(value: unknown, callTs: number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? callTs + value * 1000 : null;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return callTs + Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

/** OpenAI's x-ratelimit-reset-* durations: `1s`, `6m0s`, `20ms`, `1h2m3.5s`. */
export function parseDuration(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const m of value.trim().matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    matched += m[0];
  }
  return matched !== '' && matched === value.trim() ? total : null;
}

/**
 * Converts a Python dict repr (`{'error': {'code': '1302', 'message': 'x'}}`, as printed by the Python SDKs)
 * to JSON text; null when a string is unterminated.
 */
export function pythonReprToJson(s: string): string | null {
  let out = '';
  let i = 0;
  const n = s.length;
  while (i < n) {
    let ch = s[i]!;
    // Python bytes literals (`b'{"message": "x"}'`) print like strings.
    if (ch === 'b' && (s[i + 1] === "'" || s[i + 1] === '"') && !/\w/.test(s[i - 1] ?? '')) {
      i++;
      ch = s[i]!;
    }
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      let val = '';
      while (j < n && s[j] !== ch) {
        const c = s[j]!;
        if (c === '\\' && j + 1 < n) {
          const e = s[j + 1]!;
          val += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
        } else {
          val += c;
          j++;
        }
      }
      if (j >= n) return null;
      out += JSON.stringify(val);
      i = j + 1;
    } else if (s.startsWith('None', i)) {
      out += 'null';
      i += 4;
    } else if (s.startsWith('True', i)) {
      out += 'true';
      i += 4;
    } else if (s.startsWith('False', i)) {
      out += 'false';
      i += 5;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Default retryability of a category, used for codes the taxonomy does not know. */
export function retryableByDefault(category: Category): boolean {
  return (
    category === 'rate_limit' ||
    category === 'overload' ||
    category === 'server_error' ||
    category === 'network' ||
    category === 'timeout' ||
    category === 'conflict'
  );
}
