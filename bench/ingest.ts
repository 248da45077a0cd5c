// bench ingest: end-to-end Kafka -> errorscope ingest -> ClickHouse throughput on a topic pre-filled
// with realistic calls (the classifier benchmark's generator), beside raw kafkajs consumption of the
// same topic (fresh group, no processing) and ClickHouse's own Kafka table engine (chDB runs it) with
// a materialized view extracting the code, all in the same run.
//
//   npm run bench -- ingest [--n 1000000] [--partitions 4] [--skip-engine]
//
// Needs the Kafka broker (scripts/kafka.sh start, or KAFKA_BROKERS) and a build (npm run build).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Admin, CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import { parseConfig } from '../services/config.js';
import { createStoreClient } from '../services/store/clickhouse.js';
import { generateLines } from './classify.js';
import type { Benchmark } from './run.js';

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

export const benchmark: Benchmark = {
  summary:
    'Kafka -> ClickHouse msgs/s: errorscope ingest vs raw kafkajs consumption vs ClickHouse Kafka engine; --n N (default 1000000)',
  async run(args) {
    const n = arg(args, '--n', 1_000_000);
    const partitions = arg(args, '--partitions', 4);
    const cfg = parseConfig(process.env);
    const brokers = cfg.KAFKA_BROKERS ?? ['127.0.0.1:9092'];
    const kafka = new Kafka({ clientId: 'bench-ingest', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const suffix = `${Date.now().toString(36)}`;
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
    for (let start = 0, seed = 1; start < n; start += 20 * chunk, seed++) {
      const lines = generateLines(Math.min(20 * chunk, n - start), seed);
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
    process.stderr.write(`produced ${n} in ${produceS.toFixed(1)} s\n`);
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
    process.stderr.write(`raw consumption ${rawS.toFixed(1)} s\n`);
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
    process.stderr.write(`errorscope ingest ${ingestS.toFixed(1)} s\n`);
    peak = Math.max(peak, peakRssMb(worker.proc.pid as number));
    worker.proc.kill('SIGTERM');
    const code = await worker.exited;
    if (code !== 0) throw new Error(`worker exit ${code}: ${worker.out()}`);
    const client = await createStoreClient(parseConfig({ CHDB_PATH: dir }));
    const rs = await client.query({
      query: 'SELECT sum(calls) AS n FROM errorscope.calls_1d_v1',
      format: 'JSONEachRow',
    });
    const rows = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    await client.close();
    rmSync(dir, { recursive: true, force: true });

    // 4. ClickHouse's Kafka table engine in chDB (another process: one chDB directory per process).
    let engine: { seconds: number; rows: number } | { error: string } | null = null;
    if (!args.includes('--skip-engine')) {
      const edir = mkdtempSync(join(tmpdir(), 'errorscope-bench-engine-'));
      const child = runChild(
        [
          join(root, 'dist/bench/ingest-engine.js'),
          brokers.join(','),
          topic,
          `bench-engine-${suffix}`,
          String(n),
          edir,
        ],
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
    await admin.disconnect();

    const ingestRate = n / ingestS;
    const rawRate = n / rawS;
    console.log(`messages          ${n} (${(bytes / n).toFixed(0)} B avg, ${partitions} partitions)`);
    console.log(`produce           ${produceS.toFixed(1)} s   ${(n / produceS).toFixed(0)} msgs/s`);
    console.log(`raw kafkajs       ${rawS.toFixed(1)} s   ${rawRate.toFixed(0)} msgs/s`);
    console.log(
      `errorscope ingest ${ingestS.toFixed(1)} s   ${ingestRate.toFixed(0)} msgs/s   ${((100 * ingestRate) / rawRate).toFixed(1)}% of raw   peak RSS ${peak.toFixed(0)} MB   rows ${rows}`,
    );
    if (engine && 'seconds' in engine) {
      console.log(
        `CH Kafka engine   ${engine.seconds.toFixed(1)} s   ${(engine.rows / engine.seconds).toFixed(0)} msgs/s (chDB, JSONExtract MV, rows ${engine.rows})`,
      );
    } else if (engine) {
      console.log(`CH Kafka engine   failed: ${engine.error}`);
    }
    console.log(
      JSON.stringify({
        bench: 'ingest',
        n,
        partitions,
        avg_bytes: Math.round(bytes / n),
        produce_msgs_per_s: Math.round(n / produceS),
        raw_msgs_per_s: Math.round(rawRate),
        ingest_msgs_per_s: Math.round(ingestRate),
        ingest_vs_raw: Number((ingestRate / rawRate).toFixed(3)),
        ingest_peak_rss_mb: Math.round(peak),
        rows,
        engine,
      }),
    );
  },
};
