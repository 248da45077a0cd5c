// The HTTP ingest helpers: line counting and blocks agree with a plain split, the gate never lets
// more than its slots through, the depth scan counts brackets outside strings only.
import { describe, expect, test } from 'vitest';
import { countLines, Gate, lineBlocks } from '../../services/api/ingest-body.js';
import { jsonDeeperThan } from '../../services/core/json-depth.js';

/** The reference: split on \n, drop one trailing empty line, strip \r. */
function reference(body: string): string[] {
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

describe('lines', () => {
  test.each(['', '\n', 'a', 'a\n', 'a\nb', 'a\r\nb\r\n', '\n\n', 'a\n\nb\n', 'x\ny\nz\nw\nv\n'])(
    '%j: count and blocks match a plain split',
    (body) => {
      const want = reference(body);
      expect(countLines(body)).toBe(want.length);
      for (const size of [1, 2, 3, 100]) {
        const blocks = [...lineBlocks(body, size)];
        expect(blocks.flatMap((b) => b.lines)).toEqual(want);
        let first = 0;
        for (const b of blocks) {
          expect(b.first).toBe(first);
          expect(b.lines.length).toBeLessThanOrEqual(size);
          first += b.lines.length;
        }
      }
    },
  );
});

describe('Gate', () => {
  test('at most `max` holders; waiters beyond maxWaiting are turned away; slots pass on release', async () => {
    const gate = new Gate(2, 1);
    const a = await gate.enter();
    const b = await gate.enter();
    expect(a && b).toBeTruthy();
    let cEntered = false;
    const c = gate.enter().then((r) => {
      cEntered = true;
      return r;
    });
    expect(await gate.enter()).toBeNull(); // queue full
    await Promise.resolve();
    expect(cEntered).toBe(false);
    a?.();
    a?.(); // a second release of the same slot is ignored
    const rc = await c;
    expect(cEntered).toBe(true);
    expect(gate.peak).toBe(2);
    b?.();
    rc?.();
    const d = await gate.enter();
    const e = await gate.enter();
    expect(d && e).toBeTruthy();
  });
});

describe('jsonDeeperThan', () => {
  test('counts nesting outside strings only', () => {
    expect(jsonDeeperThan(`${'['.repeat(65)}${']'.repeat(65)}`, 64)).toBe(true);
    expect(jsonDeeperThan(`${'['.repeat(64)}${']'.repeat(64)}`, 64)).toBe(false);
    const inString = JSON.stringify({ s: `${'['.repeat(500)}\\"${'{'.repeat(500)}` });
    expect(jsonDeeperThan(inString, 64)).toBe(false);
    const wide = JSON.stringify(Array.from({ length: 500 }, () => [[1], { a: [2] }]));
    expect(jsonDeeperThan(wide, 4)).toBe(false);
    expect(jsonDeeperThan(wide, 2)).toBe(true);
  });
});
