// Benchmark of the query API's dashboard queries: a real `errorscope serve` process on 127.0.0.1
// over the embedded ClickHouse, seeded with N days of traffic for K keys (services/traffic/history.ts's rows
// inserted through the store's insertCalls in big blocks), measured with autocannon for a bounded duration per
// query, next to a /health baseline measured in the same run.
//
//   npm run bench -- api [--days 30] [--keys 200] [--duration 5] [--connections 4]

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import autocannon from 'autocannon';
import pino from 'pino';
import { buildApp } from '../services/api/server.js';
import { parseConfig } from '../services/config.js';
import { clickhouseInserter } from '../services/store/calls.js';
import { createStoreClient } from '../services/store/clickhouse.js';
import { migrate } from '../services/store/migrate.js';
import { tableRowCounts } from '../services/store/stats.js';
import { nonKafkaTransport } from '../services/store/transport.js';
import { historyRecords } from '../services/traffic/index.js';
import type { Benchmark } from './benchmark.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const DATABASE = 'errorscope_bench';
const TOKEN = 'bench-token';

export interface ApiBenchOptions {
  days: number;
  keys: number;
  /** Seconds of load per query. */
  duration: number;
  connections: number;
}

export interface QueryResult {
  name: string;
  path: string;
  rows: number;
  p50: number;
  p99: number;
  rps: number;
  non2xx: number;
  /** In-process, one request at a time (before the server starts): see profileQueries. */
  profile?: QueryProfile;
}

/** Where one request's time goes, measured in-process on the same data. */
export interface QueryProfile {
  /** ClickHouse statements per request. */
  queries: number;
  /** Median time of one request through app.inject (routing, query, shaping, serialization), ms. */
  route_ms: number;
  /** Median time the store's statements of one request took (engine plus client), ms. */
  engine_ms: number;
}

export interface ApiBenchReport {
  dataset: { days: number; keys: number; calls: number; seedSeconds: number; tables: Record<string, number> };
  results: QueryResult[];
}

const QUERIES: [string, string][] = [
  ['health (baseline)', '/health'],
  ['series 6h by category', '/api/v1/series?from=now-6h&group_by=category'],
  ['series 7d by provider', '/api/v1/series?from=now-7d&group_by=provider'],
  ['series 30d by category', '/api/v1/series?from=now-30d&group_by=category'],
  ['series 6h total', '/api/v1/series?from=now-6h'],
  ['top keys 24h', '/api/v1/top?by=key&from=now-24h&limit=20'],
  ['top codes 7d', '/api/v1/top?by=provider,code&from=now-7d&limit=20'],
  ['surges 1310 by key', '/api/v1/surges?codes=1310&categories=quota&by=key&window=15m&baseline=24h'],
  ['quota-walls', '/api/v1/quota-walls?lookback=6h'],
  ['samples 1h', '/api/v1/samples?from=now-1h&limit=100'],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Each query's request in-process, one at a time, before the server starts (the embedded engine
 * binds its data directory to one process): how many statements it runs, and how much of the
 * request's time the store's statements take, the rest being routing, response shaping and
 * serialization. The client is wrapped to time its query calls (the embedded engine answers a
 * query whole before query() resolves).
 */
async function profileQueries(
  client: ClickHouseClient,
  queries: [string, string][],
  reps: number,
): Promise<Map<string, QueryProfile>> {
  let spent: number[] = [];
  const timed = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return async (params: Parameters<ClickHouseClient['query']>[0]) => {
        const t0 = performance.now();
        try {
          return await target.query(params);
        } finally {
          spent.push(performance.now() - t0);
        }
      };
    },
  });
  const config = parseConfig({ CLICKHOUSE_DATABASE: DATABASE, API_TOKENS: TOKEN, RATE_LIMIT_PER_MINUTE: '100000000' });
  const app = await buildApp({
    config,
    client: timed,
    logger: pino({ level: 'silent' }),
    knowledgeMetrics: false,
    pressure: { maxEventLoopDelay: 0, maxEventLoopUtilization: 0 },
  });
  const out = new Map<string, QueryProfile>();
  try {
    for (const [, path] of queries) {
      const route: number[] = [];
      const store: number[] = [];
      let statements = 0;
      for (let i = 0; i < reps + 2; i++) {
        spent = [];
        const t0 = performance.now();
        const res = await app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${TOKEN}` } });
        if (res.statusCode !== 200) throw new Error(`${path}: HTTP ${res.statusCode} ${res.body}`);
        if (i < 2) continue; // warm-up
        route.push(performance.now() - t0);
        store.push(spent.reduce((a, b) => a + b, 0));
        statements = spent.length;
      }
      const round = (x: number) => Math.round(x * 10) / 10;
      out.set(path, { queries: statements, route_ms: round(median(route)), engine_ms: round(median(store)) });
    }
  } finally {
    await app.close();
  }
  return out;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`errorscope serve exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server not ready within ${timeoutMs} ms`);
}

export async function runApiBench(opts: ApiBenchOptions, log: (s: string) => void): Promise<ApiBenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'errorscope-bench-api-'));
  let child: ChildProcess | undefined;
  try {
    const cfg = {
      CHDB_PATH: dir,
      CLICKHOUSE_DATABASE: DATABASE,
      CLICKHOUSE_URL: undefined,
      CLICKHOUSE_USER: 'default',
      CLICKHOUSE_PASSWORD: '',
    };
    const client = await createStoreClient(cfg);
    await migrate(client, { CLICKHOUSE_DATABASE: DATABASE, RAW_TTL_DAYS: undefined });
    const end = Date.now();
    const start = end - opts.days * DAY;
    const t0 = performance.now();
    let calls = 0;
    // The store's own write path (pre-aggregated in JavaScript, storage v2), as the worker writes.
    const inserter = clickhouseInserter(client, DATABASE);
    for (const block of historyRecords(start, end, opts.keys, nonKafkaTransport('backfill'))) {
      await inserter.insertCalls(block);
      calls += block.length;
    }
    const seedSeconds = (performance.now() - t0) / 1000;
    const tables = await tableRowCounts(client, DATABASE);
    const profiles = await profileQueries(client, QUERIES.slice(1), 15);
    await client.close();
    log(
      `dataset: ${opts.days} days, ${opts.keys} keys, ${calls} calls seeded in ${seedSeconds.toFixed(1)} s; rows: ${JSON.stringify(tables)}`,
    );

    // A real server process, as deployed (the embedded engine binds one data directory per process).
    const port = await freePort();
    const bin = fileURLToPath(new URL('../../bin/errorscope.js', import.meta.url));
    child = spawn(process.execPath, [bin, 'serve'], {
      env: {
        ...process.env,
        CHDB_PATH: dir,
        CLICKHOUSE_DATABASE: DATABASE,
        HOST: '127.0.0.1',
        PORT: String(port),
        API_TOKENS: TOKEN,
        RATE_LIMIT_PER_MINUTE: '100000000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitReady(base, child);

    const queries = QUERIES;
    const headers = { authorization: `Bearer ${TOKEN}` };
    const results: QueryResult[] = [];
    for (const [name, path] of queries) {
      // Right after the previous query's load the server may still shed (503, under-pressure's event
      // loop utilization): wait for it to settle rather than fail the run.
      let probe = await fetch(`${base}${path}`, { headers });
      for (let i = 0; probe.status === 503 && i < 20; i++) {
        await probe.text();
        await new Promise((r) => setTimeout(r, 250));
        probe = await fetch(`${base}${path}`, { headers });
      }
      if (!probe.ok) throw new Error(`${path}: HTTP ${probe.status} ${await probe.text()}`);
      const json = (await probe.json()) as { rows?: unknown[] };
      const r = await autocannon({
        url: `${base}${path}`,
        headers,
        connections: opts.connections,
        duration: opts.duration,
      });
      const res: QueryResult = {
        name,
        path,
        rows: json.rows?.length ?? 0,
        p50: r.latency.p50,
        p99: r.latency.p99,
        rps: r.requests.average,
        non2xx: r.non2xx + r.errors + r.timeouts,
        ...(profiles.has(path) ? { profile: profiles.get(path) } : {}),
      };
      results.push(res);
      log(
        `${name.padEnd(24)} p50 ${String(res.p50).padStart(6)} ms  p99 ${String(res.p99).padStart(6)} ms  ${res.rps.toFixed(1).padStart(8)} req/s  rows ${res.rows}${res.non2xx ? `  FAILED ${res.non2xx}` : ''}`,
      );
    }
    const baseline = results[0]!.rps;
    for (const r of results.slice(1)) {
      const p = r.profile;
      log(
        `${r.name.padEnd(24)} ${(r.rps / baseline).toFixed(4)} x /health throughput${p ? `  (in-process: ${p.queries} statement(s), route ${p.route_ms} ms, of which store ${p.engine_ms} ms)` : ''}`,
      );
    }
    return { dataset: { days: opts.days, keys: opts.keys, calls, seedSeconds, tables }, results };
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseApiBenchArgs(args: string[]): ApiBenchOptions {
  const opts: ApiBenchOptions = { days: 30, keys: 200, duration: 5, connections: 4 };
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]?.replace(/^--/, '') as keyof ApiBenchOptions;
    const value = Number(args[i + 1]);
    if (!(name in opts) || !Number.isFinite(value) || value <= 0) {
      throw new Error(
        `usage: bench api [--days N] [--keys N] [--duration S] [--connections N] (got ${args.join(' ')})`,
      );
    }
    opts[name] = value;
  }
  return opts;
}

export const benchmark: Benchmark = {
  summary: 'query API: p50/p99 and req/s of the dashboard queries (30 days x 200 keys) vs /health',
  async run(args: string[]): Promise<void> {
    const report = await runApiBench(parseApiBenchArgs(args), (s) => console.log(s));
    console.log(JSON.stringify({ benchmark: 'api', ...report }));
  },
};
