// The Python SDKs print error bodies as dict reprs: converted to JSON text for the body parser. Pure.

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
