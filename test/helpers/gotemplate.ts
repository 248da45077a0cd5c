// A small subset of Go's text/template, enough to render errorscope's notification templates the way
// Grafana's alertmanager does: {{ define }}, {{ range .X }}, {{ if .X }} / {{ else }}, {{ .Field.Path }},
// and the `{{-` / `-}}` whitespace trimming. Anything else is an error (so a template that grows beyond
// this subset fails the test instead of rendering wrongly).

type Node =
  | { t: 'text'; v: string }
  | { t: 'field'; path: string[] }
  | { t: 'len'; path: string[] }
  | { t: 'if'; path: string[]; yes: Node[]; no: Node[] }
  | { t: 'range'; path: string[]; body: Node[] };

interface Token {
  kind: 'text' | 'action';
  v: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\{\{(-\s)?\s*([\s\S]*?)\s*(\s-)?\}\}/g;
  let last = 0;
  let trimNext = false;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    let text = src.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1]) text = text.replace(/\s+$/, '');
    if (text) out.push({ kind: 'text', v: text });
    out.push({ kind: 'action', v: m[2]! });
    trimNext = Boolean(m[3]);
    last = re.lastIndex;
  }
  let tail = src.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  if (tail) out.push({ kind: 'text', v: tail });
  return out;
}

const path = (s: string): string[] => {
  if (s === '.') return [];
  if (!/^(\.\w+)+$/.test(s)) throw new Error(`unsupported template expression '${s}'`);
  return s.slice(1).split('.');
};

function parse(tokens: Token[], i: number, stop: string[]): { nodes: Node[]; i: number; end: string } {
  const nodes: Node[] = [];
  while (i < tokens.length) {
    const tok = tokens[i++]!;
    if (tok.kind === 'text') {
      nodes.push({ t: 'text', v: tok.v });
      continue;
    }
    const a = tok.v;
    if (stop.includes(a)) return { nodes, i, end: a };
    let m = /^if\s+(\S+)$/.exec(a);
    if (m) {
      const then = parse(tokens, i, ['else', 'end']);
      let els: Node[] = [];
      i = then.i;
      if (then.end === 'else') {
        const e = parse(tokens, i, ['end']);
        els = e.nodes;
        i = e.i;
      }
      nodes.push({ t: 'if', path: path(m[1]!), yes: then.nodes, no: els });
      continue;
    }
    m = /^range\s+(\S+)$/.exec(a);
    if (m) {
      const body = parse(tokens, i, ['end']);
      i = body.i;
      nodes.push({ t: 'range', path: path(m[1]!), body: body.nodes });
      continue;
    }
    m = /^len\s+(\S+)$/.exec(a);
    if (m) {
      nodes.push({ t: 'len', path: path(m[1]!) });
      continue;
    }
    nodes.push({ t: 'field', path: path(a) });
  }
  if (stop.length) throw new Error(`missing {{ ${stop.join(' / ')} }}`);
  return { nodes, i, end: '' };
}

function lookup(dot: unknown, p: string[]): unknown {
  let v = dot;
  for (const k of p) v = v === null || v === undefined ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

const truthy = (v: unknown) => !(v === undefined || v === null || v === '' || v === 0 || v === false);

function render(nodes: Node[], dot: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.v;
    else if (n.t === 'field') {
      const v = lookup(dot, n.path);
      // Go prints a missing map key as "<no value>".
      out += v === undefined ? '<no value>' : String(v);
    } else if (n.t === 'len') out += String(((lookup(dot, n.path) as unknown[] | undefined) ?? []).length);
    else if (n.t === 'if') out += render(truthy(lookup(dot, n.path)) ? n.yes : n.no, dot);
    else for (const item of (lookup(dot, n.path) as unknown[]) ?? []) out += render(n.body, item);
  }
  return out;
}

/** The named templates of a template file. */
export function parseDefines(src: string): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  const re = /\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}([\s\S]*?)\{\{-?\s*end\s*-?\}\}(?=\s*(?:\{\{-?\s*define|$))/g;
  for (const m of src.matchAll(re)) {
    // Re-attach the delimiters' trim markers to the body's first/last text.
    const open = /\{\{-?\s*define\s+"[^"]+"\s*(-?)\}\}/.exec(m[0])![1];
    const close = /\{\{(-?)\s*end\s*-?\}\}$/.exec(m[0])![1];
    let body = m[2]!;
    if (open) body = body.replace(/^\s+/, '');
    if (close) body = body.replace(/\s+$/, '');
    out.set(m[1]!, parse(tokenize(body), 0, []).nodes);
  }
  return out;
}

export function renderTemplate(src: string, name: string, data: unknown): string {
  const t = parseDefines(src).get(name);
  if (!t) throw new Error(`no template "${name}"`);
  return render(t, data);
}
