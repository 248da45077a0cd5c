// Kafka missing is a state, not a crash. Through the real CLI (dist): `errorscope start` with an
// unreachable broker keeps its API and HTTP ingest up and says why Kafka ingest is not consuming on
// /ready and in /metrics; started before its topic exists, it starts consuming once the topic appears;
// `--create-topics N` creates the topic. The `ingest` worker's /healthz stays 200 while the broker is
// down and /readyz says it is not ready. "Down" is a loopback port with nothing listening.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempChdbDir } from '../helpers/chdb.js';
import { ROOT, type SpawnedWorker, spawnCli, untilAnswers } from '../helpers/cli-worker.js';
import { createTopic, describeKafka, fresh, kafkaBrokers, testKafka, waitFor } from '../helpers/kafka.js';
import { unusedPort } from '../helpers/net.js';

const BIN = join(ROOT, 'bin/errorscope.js');
const children: ChildProcess[] = [];
const dirs: { remove(): void }[] = [];

type Proc = SpawnedWorker;

function run(args: string[], env: Record<string, string>): Proc {
  const dir = tempChdbDir('errorscope-outage-');
  dirs.push(dir);
  const p = spawnCli(args, { CHDB_PATH: dir.path, CLICKHOUSE_URL: '', LOG_LEVEL: 'warn', ...env }, Infinity);
  children.push(p.proc);
  return p;
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

// 200 only: under-pressure may shed the first requests while the engine warms up.
const up = (url: string, p: Proc) => untilAnswers(url, p, `${url} answers`, 60_000);

type Kafka = { state: string; reason: string | null; failedAttempts: number; topic: string };

function envelope(i: number, tag: string): string {
  return JSON.stringify({
    ts: new Date(Date.now() - i * 1000).toISOString(),
    provider: 'openai',
    model: 'gpt-4o',
    key_id: `key-${tag}`,
    status: 429,
    request_id: `${tag}-${i}`,
    body: { error: { message: 'Rate limit reached for gpt-4o', type: 'requests', code: 'rate_limit_exceeded' } },
  });
}

async function totalCalls(base: string): Promise<number> {
  const r = await json(`${base}/api/v1/series?from=now-5h&step=1h`);
  return ((r.body.rows as { calls: number }[]) ?? []).reduce((s, x) => s + x.calls, 0);
}

async function httpIngest(base: string, n: number, tag: string): Promise<void> {
  const body = `${Array.from({ length: n }, (_, i) => envelope(i, tag)).join('\n')}\n`;
  const r = await json(`${base}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body,
  });
  expect(r.status).toBe(200);
  expect(r.body.accepted).toBe(n);
}

beforeAll(() => {
  expect(BIN).toBeTruthy();
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) d.remove();
});

describeKafka('Kafka down or missing never takes errorscope down', () => {
  it('start with an unreachable broker: API and HTTP ingest up, /ready and /metrics say Kafka is retrying', async () => {
    const [port, metricsPort, broker] = await Promise.all([unusedPort(), unusedPort(), unusedPort()]);
    const base = `http://127.0.0.1:${port}`;
    const p = run(['start', '--brokers', `127.0.0.1:${broker}`], {
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      KAFKA_TOPIC: fresh('nowhere'),
    });
    await up(`${base}/health`, p);
    await waitFor(
      'two failed Kafka attempts',
      async () => (((await json(`${base}/ready`)).body.kafka as Kafka | undefined)?.failedAttempts ?? 0) >= 2,
      90_000,
      500,
    );
    const ready = await json(`${base}/ready`);
    expect(ready.status).toBe(503);
    const k = ready.body.kafka as Kafka;
    expect(k.state).toBe('retrying');
    expect(k.reason).toMatch(/connect|ECONNREFUSED|Connection/i);

    await httpIngest(base, 5, 'down');
    expect(await totalCalls(base)).toBe(5);

    const worker = await json(`http://127.0.0.1:${metricsPort}/readyz`);
    expect(worker.status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^errorscope_ingest_kafka_ready 0$/m);
    expect(metrics).toMatch(/^errorscope_ingest_kafka_state\{state="retrying"\} 1$/m);
    expect(Number(/^errorscope_ingest_kafka_start_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      2,
    );

    expect(p.proc.exitCode).toBeNull();
    expect(await p.stop()).toBe(0);
  });

  it('start before its topic exists: ready once the topic appears, and the messages produced there are ingested', async () => {
    const [port, metricsPort] = await Promise.all([unusedPort(), unusedPort()]);
    const base = `http://127.0.0.1:${port}`;
    const topic = fresh('later');
    const p = run(['start', '--brokers', kafkaBrokers.join(',')], {
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: `${topic}-dlq`,
      KAFKA_GROUP_ID: `${topic}-group`,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    await up(`${base}/health`, p);
    await waitFor(
      'a failed attempt: the topic is missing',
      async () => (((await json(`${base}/ready`)).body.kafka as Kafka | undefined)?.failedAttempts ?? 0) >= 1,
      60_000,
      300,
    );
    const missing = await json(`${base}/ready`);
    expect(missing.status).toBe(503);
    expect((missing.body.kafka as Kafka).reason).toContain(`topic ${topic} does not exist`);
    await httpIngest(base, 3, 'http');

    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await createTopic(admin, topic, 2);
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: envelope(i, 'kafka') })),
      });
      await waitFor(
        '/ready 200 with Kafka running',
        async () => (await json(`${base}/ready`)).status === 200,
        90_000,
        500,
      );
      expect(((await json(`${base}/ready`)).body.kafka as Kafka).state).toBe('running');
      await waitFor('3 HTTP + 7 Kafka calls stored', async () => (await totalCalls(base)) === 10, 60_000, 500);
      expect((await json(`http://127.0.0.1:${metricsPort}/readyz`)).status).toBe(200);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    expect(await p.stop()).toBe(0);
  });

  it('start --create-topics N creates the missing topic with N partitions', async () => {
    const port = await unusedPort();
    const base = `http://127.0.0.1:${port}`;
    const topic = fresh('created');
    const p = run(['start', '--brokers', kafkaBrokers.join(','), '--create-topics', '3'], {
      PORT: String(port),
      METRICS_PORT: '0',
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: `${topic}-dlq`,
      KAFKA_GROUP_ID: `${topic}-group`,
    });
    await up(`${base}/health`, p);
    await waitFor('/ready 200', async () => (await json(`${base}/ready`)).status === 200, 90_000, 500);
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]?.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
    expect(await p.stop()).toBe(0);
  });

  it('start --create-topics rejects a non-number with a usage error', async () => {
    const p = run(['start', '--create-topics', 'many'], { PORT: '0' });
    expect(await p.exited).toBe(2);
    expect(p.output()).toContain('--create-topics must be a whole number');
  });

  it('the ingest worker with the broker down: /healthz 200, /readyz 503 with the reason, still running', async () => {
    const [metricsPort, broker] = await Promise.all([unusedPort(), unusedPort()]);
    const p = run(['ingest', '--brokers', `127.0.0.1:${broker}`, '--metrics-port', String(metricsPort)], {
      KAFKA_TOPIC: fresh('nowhere'),
    });
    const base = `http://127.0.0.1:${metricsPort}`;
    await up(`${base}/healthz`, p);
    await waitFor(
      'a failed attempt',
      async () => (((await json(`${base}/readyz`)).body.kafka as Kafka | undefined)?.failedAttempts ?? 0) >= 1,
      60_000,
      300,
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await json(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(String(ready.body.reason)).toMatch(/connect|ECONNREFUSED|Connection/i);
    expect(p.proc.exitCode).toBeNull();
    expect(await p.stop()).toBe(0);
  });
});
