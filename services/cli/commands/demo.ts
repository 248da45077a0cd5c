// `errorscope demo`: realistic traffic (services/traffic) into Kafka, the HTTP ingest
// endpoint, or straight into the store (`--backfill 7d`) so dashboards have history at once.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { classifyBatch, type Envelope } from '../../core/index.js';
import { parseDuration } from '../../query/timeparse.js';
import type { CallInserter } from '../../store/calls.js';
import { nonKafkaTransport } from '../../store/transport.js';
import { generateTraffic, planTraffic, type TrafficOptions, type TrafficPlan } from '../../traffic/index.js';
import { openSink, openStore, stopSignal } from '../boot.js';
import { defineCommand, UsageError } from '../command.js';
import { type ShipSink, SinkUnreachable } from '../ship-sinks.js';
import { shippable } from './ship.js';

const HELP = `usage: errorscope demo [options]

Generates realistic LLM API traffic: several providers (Zhipu, Z.AI, OpenAI, Anthropic, Gemini, a
new-api gateway), models, keys and tenants, a daily rhythm, rate-limit bursts, overload episodes,
quota walls with reset times, and a 1310 "Weekly/Monthly Limit Exhausted" surge on a few keys, in
the providers' real body shapes.

  live:      errorscope demo --to http --duration 10m --rate 20
  backfill:  errorscope demo --backfill 7d           (straight into the store, as fast as it goes)

options:
  --to kafka|http|store  destination (default: store for --backfill, else kafka when KAFKA_BROKERS
                         is set, else http). 'store' writes the embedded ClickHouse directly: stop
                         'errorscope start' first (one process per data directory), or use
                         'errorscope start --demo', which runs both in one process.
  --duration D           live run length (default 10m; 30s, 5m, 1h ...)
  --backfill D           generate the past D (e.g. 7d) up to now, without waiting
  --rate N               calls per second at the daily peak (default 5 live, 3 backfill)
  --keys N               number of API keys (default 24)
  --surge-keys N         keys hit by the 1310 surge (default 2)
  --seed N               PRNG seed (default 1): the same seed gives the same traffic
  --url, --token, --brokers, --topic   as for 'errorscope ship'
  -h, --help             this help

Prints one JSON line at the end: calls sent, and what was planted (surge keys as fingerprints,
the surge start, reset times) so you know what the API should show.
`;

/** What became of a delivered batch: calls stored or accepted, and the envelopes refused, with why. */
export interface Delivery {
  accepted: number;
  rejected: { index: number; reason: string }[];
}

export interface DemoTarget {
  readonly describe: string;
  /** Delivers a batch; resolves once it is stored or acknowledged. */
  deliver(batch: Envelope[]): Promise<Delivery>;
  close(): Promise<void>;
}

/** Writes straight into the store through the same classification as the worker. */
export function storeTarget(calls: CallInserter, now: () => number = Date.now): DemoTarget {
  return {
    describe: 'store',
    async deliver(batch) {
      const fallbackTs = now();
      const transport = nonKafkaTransport('backfill');
      const { rows, rejected } = classifyBatch(
        batch.map((envelope) => ({ value: JSON.stringify(envelope), fallbackTs, transport })),
      );
      await calls.insertCalls(rows);
      return { accepted: rows.length, rejected };
    },
    async close() {},
  };
}

/** Sends through a ship sink (Kafka topic or HTTP endpoint), raw keys replaced by fingerprints. */
export function sinkTarget(sink: ShipSink): DemoTarget {
  let connected = false;
  let seq = 0;
  const run = `${process.pid}-${Date.now()}`;
  return {
    describe: sink.describe,
    async deliver(batch) {
      if (!connected) {
        await sink.connect();
        connected = true;
      }
      const messages = batch.map((e) => {
        const s = shippable(e);
        return { key: s.key, value: s.text };
      });
      const idem = createHash('sha256').update(`demo|${run}|${seq++}`).digest('hex').slice(0, 32);
      const r = await sink.send(messages, idem);
      return { accepted: r.accepted, rejected: r.rejected };
    },
    async close() {
      if (connected) await sink.close();
    },
  };
}

export interface DemoRun {
  traffic: TrafficOptions;
  /** Live runs pace the calls by the wall clock; backfills go as fast as the target takes them. */
  live: boolean;
  batchSize?: number;
  signal?: AbortSignal;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface DemoResult {
  calls: number;
  /** Generated calls the target refused (never expected: a refusal is a generator or classifier bug). */
  rejected: number;
  /** The first refusal's reason, when there was one. */
  firstRejection?: string;
  plan: TrafficPlan;
}

/** Runs the generator into a target. Shared by `demo` and `start --demo`. */
export async function runDemo(run: DemoRun, target: DemoTarget): Promise<DemoResult> {
  const plan = planTraffic(run.traffic);
  const now = run.now ?? Date.now;
  const sleep = run.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const batchSize = run.batchSize ?? (run.live ? 500 : 20_000);
  let batch: Envelope[] = [];
  let calls = 0;
  let rejected = 0;
  let firstRejection: string | undefined;
  const deliver = async (envelopes: Envelope[]) => {
    const d = await target.deliver(envelopes);
    calls += d.accepted;
    rejected += d.rejected.length;
    firstRejection ??= d.rejected[0]?.reason;
  };
  let batchSecond = 0;
  for (const envelope of generateTraffic(run.traffic, plan)) {
    if (run.signal?.aborted) break;
    const ts = Date.parse(String(envelope.ts));
    if (run.live) {
      const second = Math.floor(ts / 1000);
      // Deliver each second's calls once that second has come.
      if (second !== batchSecond && batch.length > 0) {
        await deliver(batch);
        batch = [];
      }
      batchSecond = second;
      const wait = ts - now();
      if (wait > 0) await sleep(Math.min(wait, 1000));
    }
    batch.push(envelope);
    if (batch.length >= batchSize) {
      await deliver(batch);
      batch = [];
    }
  }
  if (batch.length > 0 && !run.signal?.aborted) await deliver(batch);
  return { calls, rejected, ...(firstRejection === undefined ? {} : { firstRejection }), plan };
}

function parseDemoArgs(args: string[]) {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      to: { type: 'string' },
      duration: { type: 'string', default: '10m' },
      backfill: { type: 'string' },
      rate: { type: 'string' },
      keys: { type: 'string', default: '24' },
      'surge-keys': { type: 'string', default: '2' },
      seed: { type: 'string', default: '1' },
      url: { type: 'string' },
      token: { type: 'string' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
    },
  });
  const int = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new UsageError(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const to = values.to;
  if (to !== undefined && !['kafka', 'http', 'store'].includes(to))
    throw new UsageError('--to must be kafka, http or store');
  const overrides: Record<string, string> = {};
  if (values.url) overrides.ERRORSCOPE_URL = values.url;
  if (values.token) overrides.ERRORSCOPE_TOKEN = values.token;
  if (values.brokers) overrides.KAFKA_BROKERS = values.brokers;
  if (values.topic) overrides.KAFKA_TOPIC = values.topic;
  const backfillMs = values.backfill ? durationArg('backfill', values.backfill) : null;
  return {
    overrides,
    to: to as 'kafka' | 'http' | 'store' | undefined,
    durationMs: durationArg('duration', values.duration ?? '10m'),
    backfillMs,
    rate: int('rate', values.rate ?? (backfillMs ? '3' : '5'), 0.01, 100_000),
    keys: Math.floor(int('keys', values.keys, 4, 100_000)),
    surgeKeys: Math.floor(int('surge-keys', values['surge-keys'], 0, 1000)),
    seed: Math.floor(int('seed', values.seed, 0, 2 ** 31)),
  };
}

function durationArg(name: string, raw: string): number {
  try {
    return parseDuration(raw, `--${name}`);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const command = defineCommand({
  name: 'demo',
  summary: 'generate realistic traffic, live or --backfill',
  help: HELP,
  parse: parseDemoArgs,
  async run(opts, config, io) {
    const to = opts.to ?? (opts.backfillMs ? 'store' : undefined);
    // Checked before anything is opened: --to kafka without brokers is a usage error.
    const sink = to === 'store' ? null : openSink(config, to);
    const start = Date.now();
    const traffic: TrafficOptions = opts.backfillMs
      ? {
          startMs: start - opts.backfillMs,
          endMs: start,
          ratePerSec: opts.rate,
          seed: opts.seed,
          keys: opts.keys,
          surgeKeys: opts.surgeKeys,
        }
      : {
          startMs: start,
          endMs: start + opts.durationMs,
          ratePerSec: opts.rate,
          seed: opts.seed,
          keys: opts.keys,
          surgeKeys: opts.surgeKeys,
        };

    let target: DemoTarget;
    let closeStore: (() => Promise<void>) | null = null;
    if (sink === null) {
      const store = await openStore(config);
      target = storeTarget(store.calls);
      closeStore = store.close;
    } else {
      target = sinkTarget(sink);
    }
    const abort = new AbortController();
    const stop = stopSignal();
    stop.received.then(() => abort.abort());
    try {
      const { calls, rejected, firstRejection, plan } = await runDemo(
        { traffic, live: !opts.backfillMs, signal: abort.signal },
        target,
      );
      if (firstRejection !== undefined) {
        io.stderr.write(`errorscope demo: ${rejected} generated calls were refused, the first: ${firstRejection}\n`);
      }
      const { fingerprintKey } = await import('../../core/index.js');
      io.stdout.write(
        `${JSON.stringify({
          calls,
          rejected,
          destination: target.describe,
          from: new Date(traffic.startMs).toISOString(),
          to: new Date(traffic.endMs).toISOString(),
          surge_keys: plan.surgeKeys.map(fingerprintKey),
          surge_start: new Date(plan.surgeStartMs).toISOString(),
          surge_reset_at: new Date(plan.surgeResetMs).toISOString(),
          wall_key: fingerprintKey(plan.wallKey),
          wall_reset_at: new Date(plan.wallResetMs).toISOString(),
          arrears_key: fingerprintKey(plan.arrearsKey),
        })}\n`,
      );
      return 0;
    } catch (err) {
      if (err instanceof SinkUnreachable) {
        io.stderr.write(`errorscope demo: ${err.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      stop.dispose();
      await target.close().catch(() => {});
      if (closeStore) await closeStore();
    }
  },
});
