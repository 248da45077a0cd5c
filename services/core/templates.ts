// The taxonomy's message templates (`Usage limit reached for ${period}. ...`) as search regexes with
// named groups, and reading the variables out of a message. Pure.

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
