// A classify thread (classify-pool.ts): the open segments of some partitions, each classified and
// aggregated as its messages arrive, built into insert bodies when the main thread asks.
import { parentPort } from 'node:worker_threads';
import { type BeyondRetention, emptyBeyondRetention } from '../core/retention.js';
import { type CallAggregate, callAggregate } from '../store/calls.js';
import type { FromThread, PostedLetter, ToThread } from './classify-pool.js';
import type { IngestInput } from './formats.js';
import { type BuilderOptions, classifyRun, deadLetter } from './segment-builder.js';

interface Open {
  o: BuilderOptions;
  agg: CallAggregate;
  letters: PostedLetter[];
  beyond: BeyondRetention;
}

const open = new Map<number, Open>();
const port = parentPort;
if (!port) throw new Error('classify-thread runs as a worker thread of the ingest worker');
const post = (m: FromThread) => port.postMessage(m);

port.on('message', (m: ToThread) => {
  try {
    handle(m);
  } catch (err) {
    open.delete(m.id);
    // The batch is off the queue either way (the main thread waits on what is queued).
    if (m.t === 'add') post({ t: 'added', id: m.id, bytes: 0, queued: m.data.byteLength });
    post({ t: 'failed', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
});

function handle(m: ToThread): void {
  if (m.t === 'open') {
    open.set(m.id, { o: m.o, agg: callAggregate(), letters: [], beyond: emptyBeyondRetention() });
    return;
  }
  if (m.t === 'drop') {
    open.delete(m.id);
    return;
  }
  const s = open.get(m.id);
  if (m.t === 'add') {
    if (s) add(s, m);
    post({ t: 'added', id: m.id, bytes: s?.agg.bytes ?? 0, queued: m.data.byteLength });
    return;
  }
  if (!s) throw new Error(`no open segment ${m.id}`);
  open.delete(m.id);
  post({ t: 'built', id: m.id, built: s.agg.build(), letters: s.letters, beyond: s.beyond });
}

function add(s: Open, m: Extract<ToThread, { t: 'add' }>): void {
  const { o } = s;
  const n = m.valueLen.length;
  const inputs: IngestInput[] = new Array(n);
  const keys: (Uint8Array | null)[] = new Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const k = m.keyLen[i] as number;
    keys[i] = k < 0 ? null : m.data.subarray(at, at + k);
    at += Math.max(0, k);
    const v = m.valueLen[i] as number;
    const value = v < 0 ? null : m.data.subarray(at, at + v);
    at += Math.max(0, v);
    inputs[i] = {
      value,
      fallbackTs: m.timestamp[i] as number,
      transport: {
        src: 'kafka',
        kafka_topic: o.topic,
        kafka_partition: o.partition,
        kafka_offset: m.offset[i] as number,
      },
    };
  }
  classifyRun(
    o,
    inputs,
    (rows) => s.agg.add(rows),
    (index, reason) => {
      // Copied out: a view would carry the whole fetch's buffer across threads.
      const value = inputs[index]?.value;
      const key = keys[index] ?? null;
      s.letters.push({
        ...deadLetter(
          o,
          { offset: m.offset[index] as number, timestamp: String(m.timestamp[index]), key: null, value: null },
          reason,
        ),
        key: key === null ? null : key.slice(),
        value: value == null || typeof value === 'string' ? null : value.slice(),
      });
    },
    s.beyond,
  );
}
