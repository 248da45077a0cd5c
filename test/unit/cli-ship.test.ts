import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { prepareLine, readLines } from '../../services/cli/commands/ship.js';
import { fromAccessLog, fromEnvelope } from '../../services/cli/gateway-logs.js';
import { renderProgress } from '../../services/cli/progress.js';

async function collect(chunks: (string | Buffer)[], start = 0) {
  const out: { text: string; endOffset: number }[] = [];
  for await (const l of readLines(Readable.from(chunks), start)) out.push(l);
  return out;
}

describe('readLines', () => {
  it('reports the byte offset after each line across chunk boundaries, CRLF and multi-byte text', async () => {
    const lines = await collect(['{"a":1}\r\n{"b":"名', Buffer.from('字"}\n'), 'tail-without-newline']);
    expect(lines.map((l) => l.text)).toEqual(['{"a":1}', '{"b":"名字"}', 'tail-without-newline']);
    const whole = Buffer.from('{"a":1}\r\n{"b":"名字"}\ntail-without-newline');
    expect(lines.map((l) => l.endOffset)).toEqual([9, 9 + Buffer.byteLength('{"b":"名字"}\n'), whole.length]);
  });

  it('continues counting from a resume offset', async () => {
    const lines = await collect(['x\ny\n'], 100);
    expect(lines.map((l) => l.endOffset)).toEqual([102, 104]);
  });
});

describe('prepareLine', () => {
  it('replaces the raw key by its fingerprint and keys the message by it', () => {
    const r = prepareLine('{"api_key":"sk-raw-secret-1234567890","status":200}', fromEnvelope);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.text).not.toContain('sk-raw-secret');
    const sent = JSON.parse(r.text) as { key_id: string; api_key?: string };
    expect(sent.api_key).toBeUndefined();
    expect(sent.key_id).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(r.key).toBe(sent.key_id);
  });

  it('says why a line is refused', () => {
    expect(prepareLine('{oops', fromEnvelope)).toEqual({ ok: false, reason: expect.stringMatching(/^invalid JSON: /) });
    // The ingest endpoint's own words (ship refuses what it would refuse, the same way).
    expect(prepareLine('[1]', fromEnvelope)).toEqual({ ok: false, reason: 'envelope is not a JSON object (array)' });
    expect(prepareLine('{"time":"x"}', fromAccessLog)).toEqual({
      ok: false,
      reason: 'access log line has no numeric status',
    });
  });
});

describe('progress line', () => {
  it('shows percent, lines, bytes, rate and ETA when the total is known', () => {
    expect(renderProgress({ lines: 5000, bytes: 2_500_000, totalBytes: 10_000_000 }, 2000, 10)).toBe(
      '[###.......]  25% 5.0k lines 2.5MB 2.5k lines/s ETA 0:06',
    );
  });

  it('omits the bar and ETA for stdin', () => {
    expect(renderProgress({ lines: 12, bytes: 900, totalBytes: null }, 1000)).toBe('12 lines 900B 12 lines/s');
  });
});
