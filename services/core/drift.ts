// Wording drift: providers reword messages and the classifier keeps the code but silently loses what it
// read from the text (the reset time above all). Pure: the store hands over the distinct wordings of each
// known (provider, code) with counts; this module tells which wordings match none of the taxonomy's
// templates for the code and which wall messages gave no reset time.
//
// A wording matches when it contains one of the code's templates (English or Chinese, `${var}` parts
// matching anything), its title, or its variant's `match` pattern. Codes whose rows have no template at
// all cannot drift (nothing to compare with) and are left out. A code "expects a reset time" when one of
// its templates carries `${next_flush_time}`.
import { variants } from './catalog.js';
import { GENERIC } from './taxonomy.js';
import { compileTemplate } from './templates.js';

export interface WordingCount {
  provider: string;
  code: string;
  category: string;
  /** One real message of this wording (wordings are messages with digit-bearing tokens blanked). */
  sample: string;
  calls: number;
  /** Calls of this wording whose reset_at is null. */
  no_reset: number;
  first_seen: number;
  last_seen: number;
}

export interface DriftRow {
  provider: string;
  code: string;
  category: string;
  calls: number;
  unmatched: number;
  unmatched_share: number;
  /** Distinct unmatched wordings. */
  wordings: number;
  reset_expected: boolean;
  /** Calls from which no reset time could be read (only counted where one is expected). */
  no_reset: number;
  /** First and last unmatched (or reset-less) call, epoch ms; null when none. */
  first_seen: number | null;
  last_seen: number | null;
  /** The most frequent unmatched (else reset-less) message. */
  sample: string;
  /** The documented wording (the first template). */
  template: string;
}

interface CodeWording {
  patterns: RegExp[];
  resetExpected: boolean;
  template: string;
}

const LITERAL_TAIL = /[.。\s]+$/;

function literal(text: string): RegExp {
  const escaped = text
    .replace(LITERAL_TAIL, '')
    .replace(/[.*+?^$()|[\]\\{}]/g, '\\$&')
    .replace(/\s+/g, '\\s*');
  return new RegExp(escaped, 'i');
}

const cache = new Map<string, CodeWording | null>();
const isDigits = (s: string) => /^\d+$/.test(s);

/** The wordings the taxonomy documents for (provider, code), or null when it has no template for it. */
export function codeWording(provider: string, code: string): CodeWording | null {
  const k = `${provider}\u0000${code}`;
  const hit = cache.get(k);
  if (hit !== undefined) return hit;
  // Same chain as the classifier for business codes: gateways relay Zhipu's codes.
  const list =
    variants(provider, code) ?? (isDigits(code) ? variants('zhipu', code) : undefined) ?? variants(GENERIC, code);
  let out: CodeWording | null = null;
  const templates = (list ?? []).flatMap((v) => [v.entry.template_en, v.entry.template_zh]).filter((t) => t !== null);
  if (list && templates.length > 0) {
    const patterns: RegExp[] = [];
    for (const v of list) {
      for (const t of [v.entry.template_en, v.entry.template_zh, v.entry.title]) {
        if (!t) continue;
        patterns.push(compileTemplate(t)?.re ?? literal(t));
      }
      if (v.match) patterns.push(v.match);
    }
    out = {
      patterns,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the taxonomy's placeholder, not a JS template.
      resetExpected: templates.some((t) => t.includes('${next_flush_time}')),
      template: templates[0]!,
    };
  }
  if (cache.size < 10_000) cache.set(k, out);
  return out;
}

export function matchesTemplate(w: CodeWording, message: string): boolean {
  return w.patterns.some((p) => p.test(message));
}

export function computeDrift(wordings: readonly WordingCount[]): DriftRow[] {
  const rows = new Map<string, DriftRow & { best: number }>();
  for (const w of wordings) {
    const cw = codeWording(w.provider, w.code);
    if (!cw || w.sample === '') continue;
    const k = `${w.provider}\u0000${w.code}`;
    let row = rows.get(k);
    if (!row) {
      row = {
        provider: w.provider,
        code: w.code,
        category: w.category,
        calls: 0,
        unmatched: 0,
        unmatched_share: 0,
        wordings: 0,
        reset_expected: cw.resetExpected,
        no_reset: 0,
        first_seen: null,
        last_seen: null,
        sample: '',
        template: cw.template,
        best: -1,
      };
      rows.set(k, row);
    }
    row.calls += w.calls;
    const unmatched = !matchesTemplate(cw, w.sample);
    const noReset = cw.resetExpected ? w.no_reset : 0;
    if (unmatched) {
      row.unmatched += w.calls;
      row.wordings++;
    }
    row.no_reset += noReset;
    if (unmatched || noReset > 0) {
      row.first_seen = Math.min(row.first_seen ?? w.first_seen, w.first_seen);
      row.last_seen = Math.max(row.last_seen ?? w.last_seen, w.last_seen);
      // Unmatched wordings first, then the most frequent.
      const weight = (unmatched ? 1e12 : 0) + w.calls;
      if (weight > row.best) {
        row.best = weight;
        row.sample = w.sample;
      }
    }
  }
  return [...rows.values()]
    .map(({ best: _best, ...r }) => ({ ...r, unmatched_share: r.calls === 0 ? 0 : r.unmatched / r.calls }))
    .sort(
      (a, b) =>
        b.unmatched - a.unmatched ||
        b.no_reset - a.no_reset ||
        (a.provider + a.code < b.provider + b.code ? -1 : a.provider + a.code > b.provider + b.code ? 1 : 0),
    );
}
