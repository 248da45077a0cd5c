// The taxonomy compiled once at module load: a Map keyed by provider+code, variant regexes and
// template regexes prebuilt, so classifying a structured code is one hash lookup.
import { GENERIC, TAXONOMY, type TaxonomyEntry } from './taxonomy.js';
import { type CompiledTemplate, compileTemplate } from './templates.js';

export interface CompiledEntry {
  entry: TaxonomyEntry;
  match: RegExp | null;
  /** Templates that carry variables (others need no regex). */
  templates: readonly CompiledTemplate[];
}

// provider -> code -> rows: two lookups, no key string built per call.
const INDEX = new Map<string, Map<string, CompiledEntry[]>>();

for (const entry of TAXONOMY) {
  const templates: CompiledTemplate[] = [];
  for (const t of [entry.template_en, entry.template_zh]) {
    const c = t ? compileTemplate(t) : null;
    if (c) templates.push(c);
  }
  const compiled: CompiledEntry = { entry, match: entry.match ? new RegExp(entry.match, 'i') : null, templates };
  let byCode = INDEX.get(entry.provider);
  if (!byCode) {
    byCode = new Map();
    INDEX.set(entry.provider, byCode);
  }
  const list = byCode.get(entry.code);
  if (list) list.push(compiled);
  else byCode.set(entry.code, [compiled]);
}

/** All rows for (provider, code), default variant included; undefined when unknown. */
export function variants(provider: string, code: string): readonly CompiledEntry[] | undefined {
  return INDEX.get(provider)?.get(code);
}

/**
 * Picks the variant whose `match` fits the message, else the default (no `match`). Null when every
 * variant is conditional and none fits (the caller then tries the next provider of its chain).
 */
export function pickVariant(list: readonly CompiledEntry[], message: string): CompiledEntry | null {
  if (list.length === 1 && list[0]!.match === null) return list[0]!;
  let fallback: CompiledEntry | null = null;
  for (const c of list) {
    if (c.match === null) fallback ??= c;
    else if (message !== '' && c.match.test(message)) return c;
  }
  return fallback;
}

/** The catalog row for (provider, code): the default variant. `*` rows answer for any provider. */
export function lookupCode(provider: string, code: string | number): TaxonomyEntry | undefined {
  const c = String(code);
  const list = variants(provider, c) ?? variants(GENERIC, c);
  if (!list) return undefined;
  return (list.find((x) => x.match === null) ?? list[0])!.entry;
}
