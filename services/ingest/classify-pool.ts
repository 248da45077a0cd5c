// Classify threads (INGEST_THREADS): the worker's main thread fetches, cuts segments, inserts and
// commits; classifying and aggregating a segment's messages, most of the JavaScript per message, runs
// on these threads, each owning the open segments of its partitions (partition mod threads, so a
// segment's messages reach one thread in offset order). A fetch is copied into one transferred
// buffer per partition batch; what comes back is the built block (insert bodies), the dead letters
// and the counts, once per segment. A thread that dies fails the segments it held: the worker drops
// them and fetches them again from the last commit, on a fresh thread.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KafkaMessage } from 'kafkajs';
import type { BeyondRetention } from '../core/retention.js';
import type { DeadLetterMessage } from '../kafka/dlq.js';
import type { BlockInserter, BuiltBlock } from '../store/calls.js';
import type { BuilderOptions, FinishedSegment, SegmentBuilder } from './segment-builder.js';

/** Main thread -> classify thread. */
export type ToThread =
  | { t: 'open'; id: number; o: BuilderOptions }
  | {
      t: 'add';
      id: number;
      /** Each message's key then value bytes, back to back. */
      data: Uint8Array;
      /** Byte lengths per message, -1 for a null key / value. */
      keyLen: Int32Array;
      valueLen: Int32Array;
      timestamp: Float64Array;
      offset: Float64Array;
    }
  | { t: 'finish'; id: number }
  | { t: 'drop'; id: number };

/** A dead letter as it crosses threads (bytes copied out of the fetch's buffer). */
export type PostedLetter = Omit<DeadLetterMessage, 'key' | 'value'> & {
  key: Uint8Array | null;
  value: Uint8Array | null;
};

/** Classify thread -> main thread. */
export type FromThread =
  | { t: 'added'; id: number; bytes: number; queued: number }
  | { t: 'built'; id: number; built: BuiltBlock; letters: PostedLetter[]; beyond: BeyondRetention }
  | { t: 'failed'; id: number; message: string };

/** The thread's module: the compiled file beside this one; from the TypeScript sources (vitest), its build. */
function threadEntry(): URL {
  const here = new URL('./classify-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL(here.href.replace('/services/ingest/', '/dist/services/ingest/'));
}

const MIB = 1024 * 1024;

export interface PoolLimits {
  /** Bytes of fetched messages a thread may have queued before the main thread waits (default 8 MiB). */
  maxQueuedBytes?: number;
  /** INGEST_SEGMENT_MAX_BYTES and INGEST_MAX_MESSAGE_BYTES: what a thread may have to hold at once. */
  segmentMaxBytes: number;
  maxMessageBytes: number;
  /** The threads' V8 heap limits; threadHeapMb(segmentMaxBytes, maxMessageBytes) unless given. */
  heap?: ReturnType<typeof threadHeapMb>;
}

/**
 * A classify thread's V8 heap limits. Left to V8's defaults a thread's heap grew to ~350 MB during a
 * backfill, most of it garbage V8 saw no reason to collect yet (peak RSS ~915-1040 MB vs ~815 MB
 * classifying on the main thread). Bounded, peak RSS fell by ~60-200 MB (docs/scaling.md). What a
 * thread must hold is bounded by the open segments (at most segmentMaxBytes as CallAggregate.bytes
 * counts them; a failed call's row in a two-byte string takes twice its length) and the message
 * being parsed (a JSON value takes a few times its text), so the old generation is sized from
 * those with room to spare: 192 MB at the defaults (32 MiB, 1 MiB). A thread out of memory fails
 * its segments like any other thread failure (fetched again).
 */
export function threadHeapMb(
  segmentMaxBytes: number,
  maxMessageBytes: number,
): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb: number } {
  const needed = Math.ceil((4 * segmentMaxBytes + 8 * maxMessageBytes) / MIB) + 56;
  return { maxOldGenerationSizeMb: Math.max(192, needed), maxYoungGenerationSizeMb: 32 };
}

interface Pending {
  bytes: number;
  failed: Error | null;
  finish: { resolve: (f: FinishedSegment) => void; reject: (e: Error) => void } | null;
}

interface Slot {
  worker: Worker | null;
  /** Bytes posted to the thread and not yet classified. */
  queued: number;
  waiters: (() => void)[];
  pending: Map<number, Pending>;
}

const toBuffer = (u: Uint8Array | null): Buffer | null =>
  u === null ? null : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class ClassifyPool {
  private readonly slots: Slot[];
  private nextId = 1;
  private closed = false;
  private readonly maxQueuedBytes: number;
  private readonly heap: ReturnType<typeof threadHeapMb>;

  constructor(
    size: number,
    private readonly inserter: BlockInserter,
    limits: PoolLimits,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`classify threads: ${size} (need at least 1)`);
    this.maxQueuedBytes = limits.maxQueuedBytes ?? 8 * MIB;
    this.heap = limits.heap ?? threadHeapMb(limits.segmentMaxBytes, limits.maxMessageBytes);
    this.slots = Array.from({ length: size }, () => ({ worker: null, queued: 0, waiters: [], pending: new Map() }));
  }

  builder(o: BuilderOptions): SegmentBuilder {
    if (this.closed) throw new Error('classify threads are closed');
    const slot = this.slots[o.partition % this.slots.length] as Slot;
    const worker = this.start(slot);
    const id = this.nextId++;
    const p: Pending = { bytes: 0, failed: null, finish: null };
    slot.pending.set(id, p);
    worker.postMessage({ t: 'open', id, o } satisfies ToThread);
    const alive = () => slot.worker === worker && p.failed === null;
    return {
      add(messages: readonly KafkaMessage[]) {
        if (messages.length === 0 || !alive()) return;
        const msg = pack(id, messages);
        slot.queued += msg.data.byteLength;
        // Transferred, not copied: the arrays are the thread's from here on.
        const moved = [msg.data, msg.keyLen, msg.valueLen, msg.timestamp, msg.offset].map(
          (a) => a.buffer as ArrayBuffer,
        );
        worker.postMessage(msg, moved);
      },
      get bytes() {
        return p.bytes;
      },
      settled: () =>
        new Promise<void>((resolve) => {
          if (slot.queued <= this.maxQueuedBytes || slot.worker !== worker) resolve();
          else slot.waiters.push(resolve);
        }),
      finish: () =>
        new Promise<FinishedSegment>((resolve, reject) => {
          if (p.failed) return reject(p.failed);
          if (slot.worker !== worker) return reject(new Error('classify thread exited'));
          p.finish = { resolve, reject };
          worker.postMessage({ t: 'finish', id } satisfies ToThread);
        }),
      discard() {
        slot.pending.delete(id);
        if (slot.worker === worker) worker.postMessage({ t: 'drop', id } satisfies ToThread);
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const w = slot.worker;
        if (w) {
          this.fail(slot, new Error('classify threads closed'));
          await w.terminate();
        }
      }),
    );
  }

  private start(slot: Slot): Worker {
    if (slot.worker) return slot.worker;
    const w = new Worker(threadEntry(), { resourceLimits: this.heap });
    w.unref();
    slot.worker = w;
    w.on('message', (m: FromThread) => this.receive(slot, m));
    w.on('error', (err) => {
      if (slot.worker === w) this.fail(slot, new Error(`classify thread failed: ${err.message}`));
    });
    w.on('exit', (code) => {
      if (slot.worker === w) this.fail(slot, new Error(`classify thread exited (code ${code})`));
    });
    return w;
  }

  /** The thread is gone: every segment it held fails (the worker fetches them again). */
  private fail(slot: Slot, err: Error): void {
    slot.worker = null;
    slot.queued = 0;
    for (const p of slot.pending.values()) {
      p.failed = err;
      p.finish?.reject(err);
      p.finish = null;
    }
    slot.pending.clear();
    for (const w of slot.waiters.splice(0)) w();
  }

  private receive(slot: Slot, m: FromThread): void {
    const p = slot.pending.get(m.id);
    if (m.t === 'added') {
      slot.queued -= m.queued;
      if (p) p.bytes = m.bytes;
      if (slot.queued <= this.maxQueuedBytes) for (const w of slot.waiters.splice(0)) w();
      return;
    }
    if (!p) return;
    slot.pending.delete(m.id);
    if (m.t === 'failed') {
      p.failed = new Error(`classify thread: ${m.message}`);
      p.finish?.reject(p.failed);
      return;
    }
    const built = m.built;
    const letters: DeadLetterMessage[] = m.letters.map((l) => ({
      ...l,
      key: toBuffer(l.key),
      value: toBuffer(l.value),
    }));
    p.finish?.resolve({
      calls: built.calls,
      letters,
      beyond: m.beyond,
      insert: (token) => this.inserter.insertBuilt(built, token),
    });
  }
}

/** One partition batch's messages in transferable arrays. */
function pack(id: number, messages: readonly KafkaMessage[]): Extract<ToThread, { t: 'add' }> {
  const n = messages.length;
  const keyLen = new Int32Array(n);
  const valueLen = new Int32Array(n);
  const timestamp = new Float64Array(n);
  const offset = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as KafkaMessage;
    const k = m.key ? m.key.byteLength : -1;
    const v = m.value ? m.value.byteLength : -1;
    keyLen[i] = k;
    valueLen[i] = v;
    total += Math.max(0, k) + Math.max(0, v);
    timestamp[i] = Number(m.timestamp);
    offset[i] = Number(m.offset);
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const m of messages) {
    if (m.key) {
      data.set(m.key, at);
      at += m.key.byteLength;
    }
    if (m.value) {
      data.set(m.value, at);
      at += m.value.byteLength;
    }
  }
  return { t: 'add', id, data, keyLen, valueLen, timestamp, offset };
}
