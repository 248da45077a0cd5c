// An explicit nesting limit for input JSON: the normalizer walks values recursively, and a line of
// 100 000 nested arrays would otherwise end in "Maximum call stack size exceeded". Pure.

/** Deepest nesting of arrays and objects accepted in one envelope (real logs stay under 20). */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether `text` (valid JSON) nests arrays/objects deeper than `max`. One pass, no allocation:
 * brackets inside strings do not count.
 */
export function jsonDeeperThan(text: string, max: number = MAX_JSON_DEPTH): boolean {
  // A text shorter than 2*max characters cannot open max+1 brackets and close them.
  if (text.length <= 2 * max) return false;
  // Fewer than max+1 opening brackets in all cannot nest deeper: counted by the native indexOf, so a
  // normal line (a handful of brackets) costs a fraction of the character loop below.
  if (count(text, '{', max) + count(text, '[', max) <= max) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Occurrences of `ch` in `text`, counting stops past `limit`. */
function count(text: string, ch: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(ch); i >= 0 && n <= limit; i = text.indexOf(ch, i + 1)) n++;
  return n;
}
