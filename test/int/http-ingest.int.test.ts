// POST /api/v1/ingest against the real embedded ClickHouse: every line of every request is stored as
// a call or kept as a dead letter (keyed and unkeyed requests interleaved), Idempotency-Key means one
// body, compressed bodies are decoded within the body limit, the memory gate holds, wrong tokens are
// rate-limited, /health is never shed, unknown methods are 405. Expected values come from the
// planted lines.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Gate, INGEST_BODY_LIMIT } from '../../services/api/ingest-body.js';
import type { buildApp } from '../../services/api/server.js';
import { MAX_JSON_DEPTH } from '../../services/core/json-depth.js';
import { storeIngest, type TestApp, testApp } from '../helpers/app.js';
import { openTestStore, type TestStore } from '../helpers/seed.js';

const TOKEN = 'ingest-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const NOW = Date.now();

let store: TestStore;
let app: TestApp;
const gate = new Gate(2, 32);

async function makeApp(over: Partial<Parameters<typeof buildApp>[0]> = {}, rateLimit = 1_000_000, blockRows = 7) {
  return testApp({
    client: store.client,
    database: store.database,
    tokens: [TOKEN],
    rateLimitPerMinute: rateLimit,
    ingest: storeIngest(store.client, store.database, { gate, blockRows }),
    pressure: { maxEventLoopDelay: 0, maxEventLoopUtilization: 0 },
    ...over,
  });
}

beforeAll(async () => {
  store = await openTestStore('http_ingest');
  app = await makeApp();
});

afterAll(async () => {
  await app?.close();
  await store?.close();
});

let seq = 0;
/** A good line with a unique request id (the id is how the test finds it in the store). */
function good(): { line: string; id: string } {
  const id = `req-http-${seq++}`;
  const line = JSON.stringify({
    ts: new Date(NOW - 60_000).toISOString(),
    url: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
    model: 'glm-4.6',
    tenant: 'acme',
    status: 429,
    request_id: id,
    body: { error: { code: '1302', message: 'High concurrency usage of this API' } },
  });
  return { line, id };
}
/** A line that cannot become a call, unique so the test finds its dead letter. */
function bad(): { line: string; id: string } {
  const id = `bad-${seq++}|`;
  return { line: `{"not json ${id}`, id };
}

/** Indices 0..k-1 such that every ordered pair (a, b) appears once as neighbours (k*k + 1 items). */
function deBruijnPairs(k: number): number[] {
  const seq: number[] = [];
  const a = new Array<number>(3).fill(0);
  const db = (t: number, p: number): void => {
    if (t > 2) {
      if (2 % p === 0) for (let j = 1; j <= p; j++) seq.push(a[j]!);
    } else {
      a[t] = a[t - p]!;
      db(t + 1, p);
      for (let j = a[t - p]! + 1; j < k; j++) {
        a[t] = j;
        db(t + 1, t);
      }
    }
  };
  db(1, 1);
  return [...seq, seq[0]!];
}

async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/ingest',
    headers: { ...auth, 'content-type': 'application/x-ndjson', ...headers },
    payload: body,
  });
  return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
}

async function storedIds(ids: readonly string[]): Promise<Map<string, number>> {
  const rs = await store.client.query({
    query: `SELECT request_id AS id, count() AS n FROM ${store.database}.errors_v2
            WHERE request_id IN {ids:Array(String)} GROUP BY id`,
    query_params: { ids },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return new Map((await rs.json<{ id: string; n: number }>()).map((r) => [r.id, r.n]));
}

async function deadCount(id: string): Promise<number> {
  const rs = await store.client.query({
    query: `SELECT count() AS n FROM ${store.database}.dead_letters_v1 WHERE position(raw, {id:String}) > 0`,
    query_params: { id },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  return ((await rs.json<{ n: number }>())[0]?.n ?? 0) as number;
}

describe('nothing lost: every line is stored or dead-lettered', () => {
  test('keyed and unkeyed requests interleaved, with only-bad, only-good and mixed bodies', async () => {
    // Every ordered pair of request kinds back to back (a de Bruijn sequence over the six kinds): the
    // lost rows came from an unkeyed, all-bad request right after a keyed one with dead letters.
    const kinds = [true, false].flatMap((keyed) =>
      (['good', 'bad', 'mixed'] as const).map((shape) => ({ keyed, shape })),
    );
    const plan = deBruijnPairs(kinds.length).map((i) => kinds[i]!);
    expect(plan).toHaveLength(37);
    const goodIds: string[] = [];
    const badIds: string[] = [];
    for (const [i, p] of plan.entries()) {
      const lines: { line: string; id: string; ok: boolean }[] = [];
      const n = i % 9 === 0 ? 9 : 1 + (i % 4); // some bodies span two insert blocks (blockRows = 7)
      for (let j = 0; j < n; j++) {
        const ok = p.shape === 'good' || (p.shape === 'mixed' && j % 2 === 0);
        lines.push({ ...(ok ? good() : bad()), ok });
      }
      const headers: Record<string, string> = p.keyed ? { 'idempotency-key': `interleave-${i}` } : {};
      const res = await post(`${lines.map((l) => l.line).join('\n')}\n`, headers);
      expect(res.status).toBe(200);
      const wantRejected = lines.flatMap((l, k) => (l.ok ? [] : [k + 1]));
      expect(res.body.accepted).toBe(lines.filter((l) => l.ok).length);
      expect((res.body.rejected as { line: number }[]).map((r) => r.line)).toEqual(wantRejected);
      for (const l of lines) (l.ok ? goodIds : badIds).push(l.id);
    }
    const stored = await storedIds(goodIds);
    for (const id of goodIds) expect(stored.get(id), id).toBe(1);
    for (const id of badIds) expect(await deadCount(id), id).toBe(1);
  });

  test('two identical unkeyed bodies are both stored', async () => {
    const lines = [good(), good()];
    const body = `${lines.map((l) => l.line).join('\n')}\n`;
    expect((await post(body)).body.accepted).toBe(2);
    expect((await post(body)).body.accepted).toBe(2);
    const stored = await storedIds(lines.map((l) => l.id));
    for (const l of lines) expect(stored.get(l.id)).toBe(2);
    const b = bad();
    await post(`${b.line}\n`);
    await post(`${b.line}\n`);
    expect(await deadCount(b.id)).toBe(2);
  });
});

test('lone surrogates (valid JSON escapes, invalid UTF-16) are stored, in calls and in dead letters', async () => {
  const g = good();
  const withSurrogate = g.line.replace('High concurrency', 'High \\ud800 concurrency');
  expect(JSON.parse(withSurrogate).body.error.message).toContain('\ud800');
  // V8's JSON error message quotes the line and can cut a surrogate pair in two: that reason too.
  const b = bad();
  const res = await post(`${withSurrogate}\n\uD852\uDEA1\u0010${b.id}\n`);
  expect(res.status).toBe(200);
  expect(res.body.accepted).toBe(1);
  expect((await storedIds([g.id])).get(g.id)).toBe(1);
  expect(await deadCount(b.id)).toBe(1);
});

describe('Idempotency-Key means one body', () => {
  test('same key and body: the first answer again, rows counted once; another body: 422', async () => {
    const lines = [good(), bad(), good()];
    const body = `${lines.map((l) => l.line).join('\n')}\n`;
    const key = { 'idempotency-key': 'idem-1' };
    const first = await post(body, key);
    expect(first.status).toBe(200);
    const again = await post(body, key);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const stored = await storedIds([lines[0]!.id, lines[2]!.id]);
    expect([...stored.values()]).toEqual([1, 1]);
    expect(await deadCount(lines[1]!.id)).toBe(1);

    const other = good();
    const refused = await post(`${other.line}\n`, key);
    expect(refused.status).toBe(422);
    expect(refused.body.message).toMatch(/Idempotency-Key 'idem-1' was first used with a different body/);
    expect((await storedIds([other.id])).size).toBe(0);
  });
});

describe('Content-Encoding', () => {
  test.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('%s bodies are decoded and stored', async (encoding, compress) => {
    const lines = [good(), good(), bad()];
    const res = await post(compress(Buffer.from(`${lines.map((l) => l.line).join('\n')}\n`)), {
      'content-encoding': encoding,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      accepted: 2,
      // The planted calls are recent: no table's retention drops any of them.
      beyond_retention: { errors: 0, calls_1m: 0, calls_1h: 0, calls_1d: 0 },
      rejected: [{ line: 3, reason: expect.stringMatching(/invalid JSON/) }],
    });
    expect((await storedIds([lines[0]!.id, lines[1]!.id])).size).toBe(2);
  });

  test('a zip bomb is 413 (the decoded size counts), another encoding is 415', async () => {
    // 80 MiB of newlines compress to ~80 KiB: over the 64 MiB body limit once decoded.
    const bomb = gzipSync(Buffer.alloc(INGEST_BODY_LIMIT + 16 * 1024 * 1024, 0x0a));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const res = await post(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.body.message).toMatch(/decoded body is over/);
    const odd = await post('{}\n', { 'content-encoding': 'compress' });
    expect(odd.status).toBe(415);
    expect(odd.body.message).toMatch(/Content-Encoding 'compress' is not supported.*gzip, deflate or br/);
    const json = await post('{}\n', { 'content-type': 'application/json' });
    expect(json.status).toBe(415);
  });
});

describe('limits', () => {
  test('a line nested 100 000 deep is refused with the depth limit as its reason', async () => {
    const deep = `{"status":500,"body":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await post(`${deep}\n`);
    expect(res.status).toBe(200);
    expect(res.body.rejected).toEqual([
      {
        line: 1,
        reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels of arrays/objects (the limit); flatten the body`,
      },
    ]);
  });

  test('concurrent bodies: at most two are processed at once, every line of each is stored', async () => {
    const big = await makeApp({}, 1_000_000, 10_000);
    gate.peak = 0;
    const bodies = Array.from({ length: 5 }, () => Array.from({ length: 2000 }, () => good()));
    const answers = await Promise.all(
      bodies.map((b) =>
        big.inject({
          method: 'POST',
          url: '/api/v1/ingest',
          headers: { ...auth, 'content-type': 'application/x-ndjson' },
          payload: `${b.map((l) => l.line).join('\n')}\n`,
        }),
      ),
    );
    await big.close();
    for (const a of answers) expect(a.json().accepted).toBe(2000);
    expect(gate.peak).toBe(2);
    const ids = bodies.flat().map((l) => l.id);
    const stored = await storedIds(ids);
    expect(stored.size).toBe(ids.length);
  });
});

describe('HTTP edges', () => {
  test('wrong tokens are rate-limited per address', async () => {
    const limited = await makeApp({}, 10);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 15; i++) {
        const res = await limited.inject({ url: '/api/v1/taxonomy', headers: { authorization: `Bearer wrong-${i}` } });
        statuses.push(res.statusCode);
      }
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      expect(statuses.slice(10)).toEqual(Array(5).fill(429));
    } finally {
      await limited.close();
    }
  });

  test('unsupported methods on known paths are 405 with Allow; unknown paths 404', async () => {
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/series', headers: auth });
    expect(del.statusCode).toBe(405);
    expect(del.headers.allow).toMatch(/GET/);
    const get = await app.inject({ method: 'GET', url: '/api/v1/ingest', headers: auth });
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const values = await app.inject({ method: 'PUT', url: '/api/v1/values/provider', headers: auth });
    expect(values.statusCode).toBe(405);
    expect((await app.inject({ url: '/api/v1/nothing', headers: auth })).statusCode).toBe(404);
  });

  test('/health is never load-shed; the data routes are', async () => {
    const shed = await makeApp({ pressure: { maxEventLoopDelay: 50 } });
    try {
      // Block the event loop for longer than a whole sample interval (1 s).
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        /* busy */
      }
      await new Promise((r) => setTimeout(r, 50));
      const health = await shed.inject({ url: '/health' });
      const data = await shed.inject({ url: '/api/v1/taxonomy', headers: auth });
      expect(health.statusCode).toBe(200);
      expect(data.statusCode).toBe(503);
    } finally {
      await shed.close();
    }
  });
});
