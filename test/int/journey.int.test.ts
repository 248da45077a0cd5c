// The user journey, end to end through the real CLI: `start` (embedded chDB + API + HTTP ingest +
// Kafka ingest), `demo` into Kafka and into HTTP, the API showing the planted 1310 surge and quota
// walls with their reset times, `ship` of a file with bad lines, and a restart that keeps the data.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileHead, statePath } from '../../services/cli/commands/ship.js';
import { tempChdbDir } from '../helpers/chdb.js';
import { type SpawnedWorker, spawnCli, untilAnswers } from '../helpers/cli-worker.js';
import { createTopic, describeKafka, fresh, kafkaBrokers, testKafka, waitFor } from '../helpers/kafka.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/errorscope.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`errorscope ${args.join(' ')} timed out; stderr: ${stderr.slice(-2000)}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

describeKafka('user journey through the real CLI', () => {
  const dir = tempChdbDir('errorscope-journey-');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const base = `http://127.0.0.1:${port}`;
  const topic = fresh('journey');
  const env: Record<string, string> = {
    CHDB_PATH: dir.path,
    PORT: String(port),
    KAFKA_BROKERS: kafkaBrokers.join(','),
    KAFKA_TOPIC: topic,
    KAFKA_DLQ_TOPIC: `${topic}-dlq`,
    KAFKA_GROUP_ID: `${topic}-group`,
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    METRICS_PORT: '0',
    ERRORSCOPE_URL: base,
    LOG_LEVEL: 'warn',
  };
  let server: SpawnedWorker | null = null;

  async function startServer(): Promise<void> {
    server = spawnCli(['start'], env, Infinity);
    await untilAnswers(`${base}/ready`, server, 'errorscope start to be ready', 90_000);
  }

  async function stopServer(): Promise<number | null> {
    const s = server;
    server = null;
    return s ? s.stop() : null;
  }

  async function get<T>(path: string): Promise<T> {
    const r = await fetch(`${base}${path}`);
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  async function totalCalls(): Promise<number> {
    const body = await get<{ rows: { calls: number }[] }>('/api/v1/series?from=now-5h&step=1h');
    return body.rows.reduce((s, r) => s + r.calls, 0);
  }

  beforeAll(async () => {
    const admin = testKafka().admin();
    await admin.connect();
    await createTopic(admin, topic, 3);
    await admin.disconnect();
    await startServer();
  });

  afterAll(async () => {
    await stopServer();
    dir.remove();
  });

  let expected = 0;
  let httpDemo: {
    calls: number;
    surge_keys: string[];
    wall_key: string;
    wall_reset_at: string;
    surge_reset_at: string;
  };

  it('demo into Kafka: every generated call is consumed, classified and stored', async () => {
    const r = await runCli(
      ['demo', '--to', 'kafka', '--backfill', '1h', '--rate', '2', '--keys', '10', '--seed', '3'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { calls: number; destination: string };
    expect(out.destination).toBe(`Kafka topic ${topic} at ${kafkaBrokers.join(',')}`);
    expect(out.calls).toBeGreaterThan(1000);
    expected += out.calls;
    await waitFor('the Kafka demo to be stored', async () => (await totalCalls()) === expected, 90_000, 500);
  });

  it('demo into HTTP: stored before the answer; the API shows the planted surge and walls', async () => {
    const r = await runCli(
      ['demo', '--to', 'http', '--backfill', '2h', '--rate', '3', '--keys', '24', '--seed', '5'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    httpDemo = JSON.parse(r.stdout);
    expected += httpDemo.calls;
    // HTTP ingest answers only once stored: no waiting needed.
    expect(await totalCalls()).toBe(expected);

    const surges = await get<{ rows: { key: string; surging: number; count: number }[] }>(
      '/api/v1/surges?codes=1310&by=key&window=15m&baseline=24h&min_count=5&ratio=3',
    );
    const surging = surges.rows.filter((row) => row.surging === 1).map((row) => row.key);
    expect(surging.sort()).toEqual([...httpDemo.surge_keys].sort());

    const walls = await get<{ rows: { key: string; code: string; reset_at: number | null }[] }>(
      '/api/v1/quota-walls?by=key',
    );
    const wall = walls.rows.find((w) => w.key === httpDemo.wall_key);
    expect(wall?.code).toBe('1308');
    expect(wall?.reset_at).toBe(Date.parse(httpDemo.wall_reset_at));
    for (const key of httpDemo.surge_keys) {
      const w = walls.rows.find((x) => x.key === key);
      expect(w?.code).toBe('1310');
      expect(w?.reset_at).toBe(Date.parse(httpDemo.surge_reset_at));
    }
  });

  it('ship: a file with bad lines reports them with reasons and stores the rest', async () => {
    const file = join(dir.path, 'calls.ndjson');
    const now = Date.now();
    const good = (i: number) =>
      JSON.stringify({
        ts: now - 60_000 + i,
        url: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
        api_key: 'sk-journey-secret-key-0001',
        status: 429,
        body: { error: { code: '1302', message: 'High concurrency' } },
      });
    const lines = [good(1), '{not json', good(2), '[1,2,3]', '', good(3), '"just a string"', good(4), good(5)];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runCli(['ship', '--to', 'http', file], env);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as { accepted: number; rejected: number; skipped_blank: number };
    expect(summary).toMatchObject({ accepted: 5, skipped_blank: 1 });
    // Not JSON, or JSON but not an object: refused before sending, each with its line number and reason.
    expect(summary.rejected).toBe(3);
    expect(r.stderr).toContain('calls.ndjson:2: invalid JSON');
    expect(r.stderr).toMatch(/calls\.ndjson:4: .*object/);
    expect(r.stderr).toMatch(/calls\.ndjson:7: .*object/);
    expect(r.stderr).not.toContain('sk-journey-secret-key-0001');
    expected += 5;
    expect(await totalCalls()).toBe(expected);
  });

  it('ship: an unreachable destination is a clear error; --resume continues where the run stopped', async () => {
    const file = join(dir.path, 'big.ndjson');
    const now = Date.now();
    const lines = Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ ts: now - 30_000 + i, url: 'https://api.z.ai/api/paas/v4/chat/completions', status: 200 }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    const down = await runCli(['ship', '--to', 'http', '--url', 'http://127.0.0.1:9', file], env);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach errorscope at http://127.0.0.1:9');
    expect(down.stderr).toContain('--url or ERRORSCOPE_URL');
    // Nothing was delivered, so there is nothing to resume.
    expect(down.stderr).not.toContain('--resume');

    // As if an earlier run had delivered the first 4 lines before it was interrupted.
    const offset = Buffer.byteLength(`${lines.slice(0, 4).join('\n')}\n`);
    const abs = resolve(file);
    writeFileSync(statePath(abs), JSON.stringify({ file: abs, head: await fileHead(abs), offset, line: 4 }));
    const resumed = await runCli(['ship', '--to', 'http', '--resume', '--batch', '3', file], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = JSON.parse(resumed.stdout) as { accepted: number; resumed_from: Record<string, number> };
    expect(summary.accepted).toBe(6);
    expect(summary.resumed_from[file]).toBe(4);
    expect(existsSync(statePath(abs))).toBe(false);
    expected += 6;
    expect(await totalCalls()).toBe(expected);
  });

  it('a restart keeps every call', async () => {
    expect(await stopServer()).toBe(0);
    await startServer();
    expect(await totalCalls()).toBe(expected);
  });
});
