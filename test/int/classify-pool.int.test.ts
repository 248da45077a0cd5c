// The classify threads (services/ingest/classify-pool.ts) against the worker's own thread: the same
// segment's messages, added in runs of any length, must build the same block, the same dead letters
// and the same retention counts. No broker or store: a capturing inserter keeps what would be
// inserted. In the int project because the thread runs the compiled build (npm test builds first).
import type { KafkaMessage } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { ClassifyPool } from '../../services/ingest/classify-pool.js';
import { type BuilderOptions, inlineBuilder, type SegmentBuilder } from '../../services/ingest/segment-builder.js';
import { aggregatingInserter, type BlockInserter, type BuiltBlock } from '../../services/store/calls.js';
import { expectedFor, makeMessage, TEST_MAX_BYTES } from '../helpers/ingest-data.js';

const now = Date.parse('2026-11-30T12:00:00Z');
const LIMITS = { segmentMaxBytes: 32 * 1024 * 1024, maxMessageBytes: TEST_MAX_BYTES };

function capturing(): { inserter: BlockInserter; built: BuiltBlock[] } {
  const built: BuiltBlock[] = [];
  return {
    built,
    inserter: aggregatingInserter(async (b) => {
      built.push(b);
    }),
  };
}

/** Kafka messages of the test traffic (poison included); every third has a key, offsets from `base`. */
function messages(base: number, n: number): KafkaMessage[] {
  const out: KafkaMessage[] = [];
  for (let i = 0; i < n; i++) {
    const value = makeMessage(i, now);
    out.push({
      key: i % 3 === 0 ? Buffer.from(`k${i}`) : null,
      value: value === null ? null : Buffer.from(value),
      timestamp: String(now - i),
      offset: String(base + i),
      attributes: 0,
      headers: {},
    } as KafkaMessage);
  }
  return out;
}

const joined = (b: BuiltBlock) => ({ ...b, errors: b.errors.join(''), rollup: b.rollup.join('') });
/** The errors_v2 rows of a built block, one string each. */
const errorRows = (b: BuiltBlock | undefined) => (b ? joined(b).errors.split('\n').filter(Boolean) : []);

/** A failed call whose error message is `text` repeated: its raw error row holds ~2,000 characters. */
function failedCall(i: number, text: string): KafkaMessage {
  return {
    key: null,
    value: Buffer.from(
      JSON.stringify({
        ts: new Date(now - i).toISOString(),
        provider: 'openai',
        model: 'gpt-4o',
        key_id: `key-${i}`,
        status: 500,
        body: { error: { message: `${i} ${text.repeat(Math.ceil(1000 / text.length))}`, type: 'server_error' } },
      }),
    ),
    timestamp: String(now - i),
    offset: String(i),
    attributes: 0,
    headers: {},
  } as KafkaMessage;
}

const options = (partition: number): BuilderOptions => ({
  topic: 'calls',
  partition,
  format: 'envelope',
  maxMessageBytes: TEST_MAX_BYTES,
  countBeyond: true,
  rawTtlDays: 30,
});

/** Adds `msgs` in runs of the given lengths (the rest in one last run), then finishes and inserts. */
async function build(b: SegmentBuilder, msgs: KafkaMessage[], runs: number[], token: string) {
  let at = 0;
  for (const r of runs) {
    b.add(msgs.slice(at, at + r));
    at += r;
    await b.settled();
  }
  b.add(msgs.slice(at));
  const done = await b.finish();
  await done.insert(token);
  return done;
}

const pools: ClassifyPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('classify threads', () => {
  it('build the same block, dead letters and counts as the main thread, in runs of any length', async () => {
    const n = 3000;
    const msgs = messages(500, n);
    const exp = expectedFor(0, n, now);
    expect(exp.poison).toBeGreaterThan(0);

    const inline = capturing();
    const a = await build(inlineBuilder(inline.inserter, options(2)), msgs, [n], 'seg');
    const threaded = capturing();
    const pool = new ClassifyPool(2, threaded.inserter, LIMITS);
    pools.push(pool);
    const b = await build(pool.builder(options(2)), msgs, [1, 7, 250, 0, 999], 'seg');

    expect(a.calls).toBe(exp.rows);
    expect(b.calls).toBe(exp.rows);
    // The same insert bodies (chunked where each run ended: the concatenations are compared).
    expect(threaded.built.map(joined)).toEqual(inline.built.map(joined));
    expect(errorRows(threaded.built[0])).toHaveLength(exp.errors);
    expect(b.beyond).toEqual(a.beyond);
    expect(b.letters).toHaveLength(exp.poison);
    expect(b.letters).toEqual(a.letters);
    // The letters carry the original bytes and coordinates (not a view of the whole fetch).
    for (const l of b.letters) {
      const m = msgs[l.offset - 500] as KafkaMessage;
      expect(l.value?.equals(m.value as Buffer) ?? m.value === null).toBe(true);
      expect(l.key === null ? m.key === null : l.key.equals(m.key as Buffer)).toBe(true);
      expect([l.topic, l.partition, l.timestamp]).toEqual(['calls', 2, m.timestamp]);
      expect(l.value === null || l.value.buffer.byteLength === l.value.byteLength).toBe(true);
    }
  });

  it('keep the segments of several partitions apart on one thread', async () => {
    const threaded = capturing();
    const pool = new ClassifyPool(1, threaded.inserter, LIMITS);
    pools.push(pool);
    const x = pool.builder(options(0));
    const y = pool.builder(options(1));
    const mx = messages(0, 400);
    const my = messages(0, 900);
    for (let i = 0; i < 900; i += 100) {
      x.add(mx.slice(i, i + 100));
      y.add(my.slice(i, i + 100));
    }
    const dropped = pool.builder(options(2));
    dropped.add(messages(0, 50));
    dropped.discard();
    const [dx, dy] = await Promise.all([x.finish(), y.finish()]);
    expect([dx.calls, dy.calls]).toEqual([expectedFor(0, 400, now).rows, expectedFor(0, 900, now).rows]);
    expect(dx.letters.every((l) => l.partition === 0)).toBe(true);
    expect(dy.letters.every((l) => l.partition === 1)).toBe(true);
  });

  it('a segment whose thread is gone fails, and the next one gets a fresh thread', async () => {
    const threaded = capturing();
    const pool = new ClassifyPool(1, threaded.inserter, LIMITS);
    pools.push(pool);
    const before = pool.builder(options(0));
    before.add(messages(0, 100));
    // Terminate the thread under the builder: the only way a thread dies with JSON it classified.
    const slot = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } | null }[] }).slots[0];
    await slot?.worker?.terminate();
    await expect(before.finish()).rejects.toThrow(/classify thread/);
    const after = pool.builder(options(0));
    after.add(messages(0, 100));
    expect((await after.finish()).calls).toBe(expectedFor(0, 100, now).rows);
  });

  it('a thread out of memory fails its segment, the process lives on, and the next segment gets a fresh thread', async () => {
    const threaded = capturing();
    // A heap far below what the segment below needs (threadHeapMb sizes it from the segment bound).
    const pool = new ClassifyPool(1, threaded.inserter, {
      ...LIMITS,
      heap: { maxOldGenerationSizeMb: 24, maxYoungGenerationSizeMb: 4 },
    });
    pools.push(pool);
    // Failed calls with 1,000-character messages: the thread keeps each one as a raw error row until
    // the segment is finished.
    const big = pool.builder(options(0));
    for (let at = 0; at < 40_000; at += 1000) {
      big.add(Array.from({ length: 1000 }, (_, k) => failedCall(at + k, 'server overloaded ')));
      await big.settled();
    }
    await expect(big.finish()).rejects.toThrow(/classify thread failed: .*out of memory/i);
    expect(threaded.built).toHaveLength(0);
    // A fresh thread with the same limits builds an ordinary segment.
    const after = pool.builder(options(0));
    after.add(messages(0, 100));
    const done = await after.finish();
    expect(done.calls).toBe(expectedFor(0, 100, now).rows);
  });

  it('a large segment in two-byte text is posted back on the default heap (the process lived through it only by luck before)', async () => {
    const threaded = capturing();
    const pool = new ClassifyPool(1, threaded.inserter, LIMITS);
    pools.push(pool);
    // Chinese messages: V8 keeps them two bytes a character. 20,000 of these rows (~100 MB of strings)
    // in one body made the thread's V8 copy the body whole to post it, and die out of memory in
    // native code, which ends the process (FATAL ERROR: ... JavaScript heap out of memory). The worker
    // closes segments well before that (INGEST_SEGMENT_MAX_BYTES counts this text in UTF-8); here the
    // builder is not closed, to show what the thread's heap holds.
    const b = pool.builder(options(0));
    const n = 20_000;
    for (let at = 0; at < n; at += 1000) {
      b.add(Array.from({ length: 1000 }, (_, k) => failedCall(at + k, '您的账户已达到速率限制，请您控制请求频率')));
      await b.settled();
    }
    expect(b.bytes).toBeGreaterThan(3 * 32 * 1024 * 1024);
    const done = await b.finish();
    expect(done.calls).toBe(n);
    await done.insert('big');
    const rows = errorRows(threaded.built[0]);
    expect(rows).toHaveLength(n);
    expect(rows[n - 1]).toContain(`${n - 1} 您的账户已达到速率限制`);
  });

  it('refuses a pool without threads', () => {
    expect(() => new ClassifyPool(0, capturing().inserter, LIMITS)).toThrow(/at least 1/);
  });
});
