// `errorscope classify` end to end through the CLI entry point, in process.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../services/cli/main.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

async function run(args: string[], input: string | Buffer[] = '') {
  const stdout = new Sink();
  const stderr = new Sink();
  const stdin = Readable.from(typeof input === 'string' ? [Buffer.from(input)] : input);
  const code = await main(['classify', ...args], { stdin, stdout, stderr, env: {} });
  const lines = stdout.text === '' ? [] : stdout.text.replace(/\n$/, '').split('\n');
  return { code, lines: lines.map((l) => JSON.parse(l) as Record<string, unknown>), stderr: stderr.text };
}

const good1310 = JSON.stringify({
  status: 429,
  api_key: 'sk-secret-abcdefghijklmnopqrstuvwxyz',
  endpoint: 'https://api.z.ai/api/paas/v4/chat/completions',
  body: {
    error: {
      code: '1310',
      message: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][rid-1]',
    },
  },
});

describe('errorscope classify', () => {
  it('writes exactly one line per input line, in order, bad lines included', async () => {
    const input = [
      good1310,
      '',
      'not json',
      '[1,2,3]',
      '{"status":"abc"}',
      '{"status":200,"model":"glm-4.6"}',
      '   ',
      '{"status":429,"body":{"error":{"code":"1314","message":"new limit"}}}',
    ].join('\r\n');
    const { code, lines } = await run([], input);
    expect(code).toBe(0);
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatchObject({
      category: 'quota',
      code: '1310',
      http_status: 429,
      provider: 'zai',
      retryable: false,
      reset_at: '2026-08-01T02:03:40.000Z',
      known: true,
      request_id: 'rid-1',
    });
    expect(String(lines[0]!.key_fp)).toMatch(/^fp_[0-9a-f]{16}$/);
    expect(lines[1]).toMatchObject({ category: 'unknown', invalid: true, error: 'empty line' });
    expect(lines[2]).toMatchObject({ category: 'unknown', invalid: true });
    expect(String(lines[2]!.error)).toContain('invalid JSON');
    expect(String(lines[3]!.error)).toContain('not a JSON object');
    // A status that is not a number is dropped with a note; the line is still classified.
    expect(lines[4]).toMatchObject({ category: 'unknown', http_status: null });
    expect(String(lines[4]!.notes)).toContain('"abc" is not an HTTP status');
    expect(lines[5]).toMatchObject({ category: 'ok', code: '200', http_status: 200, model: 'glm-4.6', known: true });
    expect(lines[6]).toMatchObject({ invalid: true, error: 'empty line' });
    expect(lines[7]).toMatchObject({ code: '1314', known: false, http_status: 429 });
  });

  it('never prints the raw key', async () => {
    const { stderr } = await run([], good1310);
    const out = await run([], `${good1310}\n`);
    expect(JSON.stringify(out.lines)).not.toContain('sk-secret-abcdefghijklmnopqrstuvwxyz');
    expect(stderr).toBe('');
  });

  it('--strict exits 1 when a line was invalid, 0 when all were valid', async () => {
    expect((await run(['--strict'], `${good1310}\nnope\n`)).code).toBe(1);
    expect((await run(['--strict'], `${good1310}\n`)).code).toBe(0);
  });

  it('handles lines split across chunks, multibyte characters across chunk edges, and oversize lines', async () => {
    const zh = JSON.stringify({
      status: 429,
      body: { error: { code: '1113', message: '余额不足或无可用资源包,请充值。' } },
    });
    const all = Buffer.from(`${zh}\n${'{"x":"'}${'a'.repeat(5000)}"}\n${zh}`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += 7) chunks.push(all.subarray(i, i + 7));
    const { code, lines } = await run(['--max-bytes', '1000'], chunks);
    expect(code).toBe(0);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ code: '1113', category: 'quota', message: '余额不足或无可用资源包,请充值。' });
    expect(lines[1]).toMatchObject({ invalid: true, error: 'line exceeds 1000 bytes' });
    expect(lines[2]).toMatchObject({ code: '1113' });
  });

  it('reads files and - for stdin; a missing file is reported on stderr, the rest still processed, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-classify-'));
    const f = join(dir, 'a.ndjson');
    writeFileSync(f, `${good1310}\n{"status":503}\n`);
    const { code, lines, stderr } = await run([f, join(dir, 'missing.ndjson'), '-'], '{"status":401}\n');
    expect(code).toBe(1);
    expect(lines.map((l) => l.code)).toEqual(['1310', '503', '401']);
    expect(stderr).toContain('missing.ndjson');
  });

  it('--help and usage errors', async () => {
    const stdout = new Sink();
    expect(await main(['classify', '--help'], { stdout, stderr: new Sink(), env: {} })).toBe(0);
    expect(stdout.text).toContain('usage: errorscope classify');
    const bad = await run(['--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--bogus'");
  });

  it('streams a large input with backpressure and keeps the order', async () => {
    const n = 20_000;
    const body = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ status: i % 10 === 0 ? 429 : 200, request_id: `r${i}` }),
    ).join('\n');
    const stdout = new (class extends Writable {
      count = 0;
      last = '';
      override _write(chunk: Buffer, _enc: string, cb: () => void): void {
        const text = chunk.toString('utf8');
        this.count += text.split('\n').length - 1;
        this.last = text;
        setImmediate(cb); // a slow consumer
      }
    })({ highWaterMark: 1024 });
    const code = await main(['classify'], {
      stdin: Readable.from([Buffer.from(body)]),
      stdout,
      stderr: new Sink(),
      env: {},
    });
    expect(code).toBe(0);
    expect(stdout.count).toBe(n);
    expect(stdout.last.trimEnd().split('\n').pop()).toContain(`"request_id":"r${n - 1}"`);
  });
});
