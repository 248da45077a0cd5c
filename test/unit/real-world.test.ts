// The proof that the classifier reads what the field writes: every case of the real-world corpus (texts
// people pasted into public issue threads, SDK fixtures, gateway source strings; provenance on each line)
// through the same function as `errorscope classify`. Fails below 99% fully right, printing the misses.
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, describeMiss, loadCorpus, score } from '../helpers/corpus.js';

const cases = loadCorpus();
const heldOut = loadCorpus(new URL('../held-out/', `file://${CORPUS_DIR}`).pathname);

describe('real-world corpus', () => {
  it('has at least 300 cases, each with its provenance', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    for (const c of cases) expect(c.source).toMatch(/^github:[\w.-]+\/[\w.-]+/);
  });

  it('classifies at least 99% of the cases fully right (category, code, status, reset time)', () => {
    const scored = cases.map(score);
    const misses = scored.filter((s) => s.wrong.length > 0);
    const right = scored.length - misses.length;
    const share = right / scored.length;
    if (misses.length > 0)
      console.log(`real-world corpus misses (${misses.length}):\n${misses.map(describeMiss).join('\n')}`);
    console.log(`real-world corpus: ${right}/${scored.length} fully right (${(share * 100).toFixed(1)}%)`);
    expect(share).toBeGreaterThanOrEqual(0.99);
  });

  it('never calls a case with an error signal a success', () => {
    const wronglyOk = cases.map(score).filter((s) => s.got.category === 'ok' && s.c.expect.category !== 'ok');
    expect(wronglyOk.map(describeMiss)).toEqual([]);
  });
});

describe('held-out: providers without a table (the generic layer)', () => {
  it('has its cases, none from a source of the corpus', () => {
    expect(heldOut.length).toBeGreaterThanOrEqual(100);
    const corpusSources = new Set(cases.map((c) => c.source));
    expect(heldOut.filter((c) => corpusSources.has(c.source)).map((c) => c.id)).toEqual([]);
  });

  it('gets at least 85% of the categories right', () => {
    const scored = heldOut.map(score);
    const wrong = scored.filter((s) => s.wrong.includes('category'));
    const share = (scored.length - wrong.length) / scored.length;
    console.log(
      `held-out: ${scored.length - wrong.length}/${scored.length} categories right (${(share * 100).toFixed(1)}%)`,
    );
    expect(share).toBeGreaterThanOrEqual(0.85);
  });
});
