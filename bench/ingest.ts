// bench ingest: end-to-end Kafka -> errorscope ingest -> ClickHouse throughput on a topic pre-filled
// with realistic calls, beside raw kafkajs consumption of the same topic (fresh group, no processing)
// and ClickHouse's own Kafka table engine (chDB runs it) with a materialized view extracting the code,
// all in the same run. Two scenarios, each on its own topic:
// - backfill: history shipped at full speed (services/traffic/replay.ts: one call every ~25 ms of
//   event time, keys and tenants drawn independently);
// - live: a deployment's traffic at the rate errorscope ingests it (demo traffic: each key belongs to
//   one tenant and calls 2 routes, the demo's error mix with its bursts and walls), event time
//   advancing at the rate measured on backfill in the same run (or --rate).
// The closing JSON line keeps the figures of earlier versions for live, backfill under `backfill`.
//
//   npm run bench -- ingest [--n 1000000] [--partitions 4] [--skip-engine] [--scenario both|live|backfill] [--rate R]
//
// Needs the Kafka broker (scripts/kafka.sh start, or KAFKA_BROKERS).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Admin, CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { parseConfig } from '../services/config.js';
import { backfillLines, liveLines } from '../services/traffic/index.js';
import type { Benchmark } from './benchmark.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} needs a positive integer`);
  return v;
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function committedAll(admin: Admin, groupId: string, topic: string, end: Map<number, number>): Promise<boolean> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  for (const p of res[0]?.partitions ?? []) if (Number(p.offset) !== (end.get(p.partition) ?? 0)) return false;
  return true;
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function runChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): { proc: ChildProcess; exited: Promise<number | null>; out: () => string } {
  let out = '';
  const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d) => {
    out = (out + d).slice(-50_000);
  });
  proc.stderr?.on('data', (d) => {
    out = (out + d).slice(-50_000);
  });
  return { proc, exited: new Promise((r) => proc.once('exit', (c) => r(c))), out: () => out };
}

interface ScenarioResult {
  n: number;
  avg_bytes: number;
  produce_msgs_per_s: number;
  raw_msgs_per_s: number;
  ingest_msgs_per_s: number;
  ingest_vs_raw: number;
  ingest_peak_rss_mb: number;
  ingest_cpu_us_per_msg: number;
  rows: number;
  engine: { seconds: number; rows: number; cpu_seconds: number; peak_rss_mb: number } | { error: string } | null;
  engine_msgs_per_s: number | null;
  ingest_vs_engine: number | null;
  /** The engine's CPU per message (all its threads): what ingest's CPU per message compares with. */
  engine_cpu_us_per_msg: number | null;
}

async function runScenario(
  name: string,
  kafka: Kafka,
  admin: Admin,
  brokers: string[],
  n: number,
  partitions: number,
  chunks: Iterable<string[]>,
  skipEngine: boolean,
): Promise<ScenarioResult> {
  const suffix = `${name}-${Date.now().toString(36)}`;
  const topic = `bench-calls-${suffix}`;
  const dlq = `bench-dlq-${suffix}`;
  await admin.createTopics({
    topics: [
      { topic, numPartitions: partitions },
      { topic: dlq, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });

  // 1. Fill the topic (measured on its own).
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  // Sends of 1000 messages (one record batch per partition stays under the broker's 1 MB
  // message.max.bytes without compression), 8 in flight.
  const chunk = 1000;
  let bytes = 0;
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (const lines of chunks) {
    for (let i = 0; i < lines.length; i += chunk) {
      const part = lines.slice(i, i + chunk);
      for (const l of part) bytes += Buffer.byteLength(l);
      inflight.push(
        producer.send({
          topic,
          acks: 1,
          compression: CompressionTypes.None,
          messages: part.map((value) => ({ value })),
        }),
      );
      if (inflight.length >= 8) await inflight.shift();
    }
  }
  await Promise.all(inflight);
  const produceS = (performance.now() - t0) / 1000;
  process.stderr.write(`[${name}] produced ${n} in ${produceS.toFixed(1)} s\n`);
  await producer.disconnect();
  const end = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));

  // 2. Raw kafkajs consumption, no processing, fresh group.
  const rawGroup = `bench-raw-${suffix}`;
  const consumer = kafka.consumer({
    groupId: rawGroup,
    maxBytesPerPartition: 2 * 1024 * 1024,
    maxBytes: 16 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  const t1 = performance.now();
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      consumed += batch.messages.length;
      resolveOffset(batch.lastOffset());
    },
  });
  await until(async () => consumed >= n && (await committedAll(admin, rawGroup, topic, end)), 30 * 60_000);
  const rawS = (performance.now() - t1) / 1000;
  process.stderr.write(`[${name}] raw consumption ${rawS.toFixed(1)} s\n`);
  await consumer.disconnect();

  // 3. errorscope ingest, a child process on a fresh chDB directory, from spawn to all committed.
  const dir = mkdtempSync(join(tmpdir(), 'errorscope-bench-ingest-'));
  const group = `bench-ingest-${suffix}`;
  const t2 = performance.now();
  const worker = runChild([join(root, 'bin/errorscope.js'), 'ingest'], {
    ...process.env,
    CHDB_PATH: dir,
    CLICKHOUSE_URL: '',
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: dlq,
    KAFKA_GROUP_ID: group,
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
  let peak = 0;
  await until(
    async () => {
      if (worker.proc.exitCode !== null) throw new Error(`worker exited: ${worker.out()}`);
      peak = Math.max(peak, peakRssMb(worker.proc.pid as number));
      return committedAll(admin, group, topic, end);
    },
    60 * 60_000,
    200,
  );
  const ingestS = (performance.now() - t2) / 1000;
  process.stderr.write(`[${name}] errorscope ingest ${ingestS.toFixed(1)} s\n`);
  peak = Math.max(peak, peakRssMb(worker.proc.pid as number));
  // CPU per message is steadier than the rate on a shared machine (it does not count waiting).
  const cpuUs = (cpuSeconds(worker.proc.pid as number) * 1e6) / n;
  worker.proc.kill('SIGTERM');
  const code = await worker.exited;
  if (code !== 0) throw new Error(`worker exit ${code}: ${worker.out()}`);
  const counter = runChild([join(root, 'dist/bench/ingest-count.js'), dir, topic], process.env);
  if ((await counter.exited) !== 0) throw new Error(`counting failed: ${counter.out()}`);
  const counted = JSON.parse(counter.out().trim().split('\n').at(-1) ?? '{}');
  const rows = Number(counted.rows);
  if (counted.consistent !== true) throw new Error(`the store is not consistent: ${JSON.stringify(counted.totals)}`);
  rmSync(dir, { recursive: true, force: true });

  // 4. ClickHouse's Kafka table engine in chDB (another process: one chDB directory per process).
  let engine: ScenarioResult['engine'] = null;
  if (!skipEngine) {
    const edir = mkdtempSync(join(tmpdir(), 'errorscope-bench-engine-'));
    const child = runChild(
      [join(root, 'dist/bench/ingest-engine.js'), brokers.join(','), topic, `bench-engine-${suffix}`, String(n), edir],
      process.env,
    );
    const c = await child.exited;
    const last = child.out().trim().split('\n').at(-1) ?? '';
    try {
      engine = c === 0 ? JSON.parse(last) : { error: child.out().slice(-500) };
    } catch {
      engine = { error: child.out().slice(-500) };
    }
    rmSync(edir, { recursive: true, force: true });
  }
  await admin.deleteTopics({ topics: [topic, dlq] }).catch(() => {});

  const ingestRate = n / ingestS;
  const rawRate = n / rawS;
  const engineRate = engine && 'seconds' in engine ? engine.rows / engine.seconds : null;
  const engineCpuUs = engine && 'seconds' in engine ? (engine.cpu_seconds * 1e6) / engine.rows : null;
  console.log(`-- ${name}`);
  console.log(`messages          ${n} (${(bytes / n).toFixed(0)} B avg, ${partitions} partitions)`);
  console.log(`produce           ${produceS.toFixed(1)} s   ${(n / produceS).toFixed(0)} msgs/s`);
  console.log(`raw kafkajs       ${rawS.toFixed(1)} s   ${rawRate.toFixed(0)} msgs/s`);
  console.log(
    `errorscope ingest ${ingestS.toFixed(1)} s   ${ingestRate.toFixed(0)} msgs/s   ${((100 * ingestRate) / rawRate).toFixed(1)}% of raw   peak RSS ${peak.toFixed(0)} MB   CPU ${cpuUs.toFixed(1)} us/msg   rows ${rows}`,
  );
  if (engine && 'seconds' in engine) {
    console.log(
      `CH Kafka engine   ${engine.seconds.toFixed(1)} s   ${(engineRate ?? 0).toFixed(0)} msgs/s (chDB, JSONExtract MV, rows ${engine.rows})   peak RSS ${engine.peak_rss_mb} MB   CPU ${(engineCpuUs ?? 0).toFixed(1)} us/msg   errorscope ${(ingestRate / (engineRate ?? 1)).toFixed(2)}x`,
    );
  } else if (engine) {
    console.log(`CH Kafka engine   failed: ${engine.error}`);
  }
  if (rows !== n) console.log(`!! ${name}: ${rows} calls stored for ${n} messages`);
  return {
    n,
    avg_bytes: Math.round(bytes / n),
    produce_msgs_per_s: Math.round(n / produceS),
    raw_msgs_per_s: Math.round(rawRate),
    ingest_msgs_per_s: Math.round(ingestRate),
    ingest_vs_raw: Number((ingestRate / rawRate).toFixed(3)),
    ingest_peak_rss_mb: Math.round(peak),
    ingest_cpu_us_per_msg: Math.round(cpuUs * 10) / 10,
    rows,
    engine,
    engine_msgs_per_s: engineRate === null ? null : Math.round(engineRate),
    ingest_vs_engine: engineRate === null ? null : Number((ingestRate / engineRate).toFixed(3)),
    engine_cpu_us_per_msg: engineCpuUs === null ? null : Math.round(engineCpuUs * 10) / 10,
  };
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export const benchmark: Benchmark = {
  summary:
    'Kafka -> ClickHouse msgs/s, live and backfill traffic: errorscope ingest vs raw kafkajs vs ClickHouse Kafka engine; --n N (default 1000000), --scenario both|live|backfill, --rate R',
  async run(args) {
    const n = arg(args, '--n', 1_000_000);
    const partitions = arg(args, '--partitions', 4);
    const scenario = option(args, '--scenario') ?? 'both';
    if (!['both', 'live', 'backfill'].includes(scenario)) throw new Error('--scenario is both, live or backfill');
    const rateArg = option(args, '--rate');
    const skipEngine = args.includes('--skip-engine');
    const cfg = parseConfig(process.env);
    const brokers = cfg.KAFKA_BROKERS ?? ['127.0.0.1:9092'];
    const kafka = new Kafka({ clientId: 'bench-ingest', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const size = 20_000;
    let backfill: ScenarioResult | null = null;
    if (scenario !== 'live') {
      backfill = await runScenario(
        'backfill',
        kafka,
        admin,
        brokers,
        n,
        partitions,
        // History of the last day: within every table's retention, so every call is stored.
        backfillLines(n, size, Date.now() - 86_400_000),
        skipEngine,
      );
    }
    let live: ScenarioResult | null = null;
    let rate = 0;
    if (scenario !== 'backfill') {
      // Event time advances at the rate errorscope ingests (measured on backfill in this run).
      rate = rateArg !== undefined ? Number(rateArg) : (backfill?.ingest_msgs_per_s ?? 50_000);
      if (!Number.isFinite(rate) || rate <= 0) throw new Error('--rate needs a positive number');
      console.log(`live event-time rate ${Math.round(rate)} calls/s`);
      // The latest daily peak (02:00 UTC) after which the whole run's event time fits before now.
      const span = ((1.5 * n) / rate + 60) * 1000;
      let start = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 2 * 3_600_000;
      while (start + span > Date.now()) start -= 86_400_000;
      live = await runScenario(
        'live',
        kafka,
        admin,
        brokers,
        n,
        partitions,
        liveLines(n, size, rate, start),
        skipEngine,
      );
    }
    await admin.disconnect();
    const main = live ?? backfill;
    if (!main) return;
    console.log(
      JSON.stringify({
        bench: 'ingest',
        scenario: live ? 'live' : 'backfill',
        partitions,
        ...(live ? { live_event_rate: Math.round(rate) } : {}),
        ...main,
        ...(live && backfill ? { backfill } : {}),
      }),
    );
  },
};
