// The real-world corpus (test/fixtures/real-world/*.ndjson): loading, format checks and scoring.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CATEGORIES, type Category, type Classification } from '../../services/core/index.js';
import { classifyOne } from './classify-one.js';

export const CORPUS_DIR = new URL('../fixtures/real-world/', import.meta.url).pathname;

export interface CorpusCase {
  id: string;
  source: string;
  provider: string;
  lang: string;
  form: string;
  envelope: Record<string, unknown>;
  expect: {
    category: Category | Category[];
    code: string | string[];
    http_status: number | null;
    reset_at: string | null;
  };
  note?: string;
  file: string;
  line: number;
}

/** Every case of every file, with the format checked: a malformed case throws, naming file and line. */
export function loadCorpus(dir = CORPUS_DIR): CorpusCase[] {
  const out: CorpusCase[] = [];
  const ids = new Set<string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (text.trim() === '') return;
      const where = `${file}:${i + 1}`;
      const c = JSON.parse(text) as CorpusCase;
      for (const f of ['id', 'source', 'provider', 'form'] as const)
        if (typeof c[f] !== 'string' || c[f] === '') throw new Error(`${where}: ${f} missing`);
      if (ids.has(c.id)) throw new Error(`${where}: duplicate id ${c.id}`);
      ids.add(c.id);
      if (typeof c.envelope !== 'object' || c.envelope === null) throw new Error(`${where}: envelope missing`);
      const e = c.expect;
      const cats = Array.isArray(e?.category) ? e.category : [e?.category];
      for (const cat of cats) if (!CATEGORIES.includes(cat)) throw new Error(`${where}: unknown category ${cat}`);
      if (cats.length > 1 && !c.note) throw new Error(`${where}: several categories need a note saying why`);
      if (!(typeof e.code === 'string' || Array.isArray(e.code))) throw new Error(`${where}: code missing`);
      if (!(e.http_status === null || Number.isInteger(e.http_status))) throw new Error(`${where}: bad http_status`);
      if (!(e.reset_at === null || /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.reset_at)))
        throw new Error(`${where}: reset_at must be UTC ISO with milliseconds`);
      out.push({ ...c, file, line: i + 1 });
    });
  }
  return out;
}

export interface Scored {
  c: CorpusCase;
  got: Classification;
  /** Fields that are wrong; empty when fully right. */
  wrong: string[];
}

function oneOf<T>(want: T | T[], got: T): boolean {
  return Array.isArray(want) ? want.includes(got) : want === got;
}

export function score(c: CorpusCase): Scored {
  const got = classifyOne(c.envelope);
  const wrong: string[] = [];
  if (!oneOf(c.expect.category, got.category)) wrong.push('category');
  if (!oneOf(c.expect.code, got.code)) wrong.push('code');
  if (c.expect.http_status !== got.http_status) wrong.push('http_status');
  if (c.expect.reset_at !== got.reset_at) wrong.push('reset_at');
  return { c, got, wrong };
}

export function describeMiss(s: Scored): string {
  const show = (f: string, want: unknown, got: unknown) =>
    s.wrong.includes(f) ? ` ${f}: want ${JSON.stringify(want)} got ${JSON.stringify(got)};` : '';
  const e = s.c.expect;
  return (
    `${s.c.id} (${s.c.source}, ${s.c.form}):` +
    show('category', e.category, s.got.category) +
    show('code', e.code, s.got.code) +
    show('http_status', e.http_status, s.got.http_status) +
    show('reset_at', e.reset_at, s.got.reset_at)
  );
}
