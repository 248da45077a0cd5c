// Classifier throughput: JSON.parse alone vs classifyBatch (parse + normalize + classify) over 1M realistic
// NDJSON envelopes generated in memory with a seeded PRNG (~85% ok calls, errors in every real shape).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyBatch } from '../services/core/index.js';
import { mulberry32 } from '../services/core/prng.js';
import type { Benchmark } from './run.js';

const PROVIDERS = [
  {
    endpoint: 'https://open.bigmodel.cn/api/paas/v4/chat/completions',
    models: ['glm-4.6', 'glm-4.5-air', 'glm-4-flash'],
  },
  { endpoint: 'https://api.z.ai/api/paas/v4/chat/completions', models: ['glm-4.6', 'glm-4.5'] },
  { endpoint: 'https://api.openai.com/v1/chat/completions', models: ['gpt-4o', 'gpt-4o-mini'] },
  { endpoint: 'https://api.anthropic.com/v1/messages', models: ['claude-sonnet-4-5'] },
  {
    endpoint: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:generateContent',
    models: ['gemini-2.5-pro'],
  },
  { endpoint: 'https://gateway.internal.example/v1/chat/completions', models: ['glm-4.6', 'gpt-4o'] },
];

type Failure = (r: () => number) => {
  status?: number | string;
  body?: unknown;
  error?: unknown;
  finish_reason?: string;
};

const FAILURES: Failure[] = [
  () => ({
    status: 429,
    body: {
      error: {
        code: '1310',
        message: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][20260731a1b2c3]',
      },
    },
  }),
  () => ({
    status: 429,
    body: { error: { code: '1308', message: '已达到 5 小时的使用上限。您的限额将在 2026-08-25 07:41:44 重置。' } },
  }),
  () => ({
    status: 429,
    body: '{"error":{"code":"1308","message":"Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44"}}',
  }),
  () => ({ status: 429, body: { error: { code: '1113', message: '余额不足或无可用资源包,请充值。' } } }),
  () => ({
    status: 429,
    body: { error: { code: '1302', message: 'High concurrency usage of this API, please reduce concurrency' } },
  }),
  () => ({
    status: 529,
    body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_01' },
  }),
  () => ({
    status: 429,
    body: {
      type: 'error',
      error: {
        type: 'rate_limit_error',
        code: '1310',
        message: '[1310][Weekly/Monthly Limit Exhausted. Your limit will reset at 2026-08-01 10:03:40][r9]',
      },
    },
  }),
  () => ({
    status: 429,
    body: {
      error: {
        type: '1308',
        message:
          'Usage limit reached for 5 hour. Your limit will reset at 2026-08-25 07:41:44 (request id: 2026082507abc)',
      },
    },
  }),
  () => ({
    status: 429,
    body: {
      error: {
        message: 'You exceeded your current quota, please check your plan and billing details.',
        type: 'insufficient_quota',
        param: null,
        code: 'insufficient_quota',
      },
    },
  }),
  () => ({
    status: 429,
    body: {
      error: {
        message: 'Rate limit reached for gpt-4o on tokens per min (TPM)',
        type: 'tokens',
        param: null,
        code: 'rate_limit_exceeded',
      },
    },
  }),
  () => ({
    status: 429,
    body: [
      {
        error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' },
      },
    ],
  }),
  () => ({ error: "Error code: 429 - {'error': {'code': '1302', 'message': 'High concurrency usage of this API'}}" }),
  () => ({ status: 200, finish_reason: 'sensitive' }),
  () => ({ status: 429, body: { error: { code: '1314', message: 'A limit newer than the docs' } } }),
  () => ({
    status: 403,
    body: {
      error: {
        code: 'insufficient_user_quota',
        type: 'new_api_error',
        message: 'Your account balance is insufficient.',
      },
    },
  }),
  () => ({ status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }),
  (r) => ({
    status: 400,
    body: {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `prompt is too long: ${200_000 + Math.floor(r() * 9999)} tokens > 200000 maximum`,
      },
    },
  }),
];

/** Per FAILURES entry, the PROVIDERS (0 bigmodel, 1 z.ai, 2 openai, 3 anthropic, 4 gemini, 5 gateway) sending it. */
const HOMES: number[][] = [
  [0, 1],
  [0],
  [0, 1, 5],
  [0],
  [0, 1],
  [3],
  [1],
  [5],
  [2, 5],
  [2],
  [4],
  [0, 1, 2],
  [0, 1],
  [0, 1],
  [5],
  [5, 2],
  [3],
];

export function generateLines(n: number, seed = 42): string[] {
  const r = mulberry32(seed);
  const keys = Array.from({ length: 64 }, (_, i) => `sk-bench-${i.toString(16).padStart(4, '0')}${'x'.repeat(28)}`);
  const lines: string[] = new Array(n);
  let ts = Date.UTC(2026, 7, 1);
  for (let i = 0; i < n; i++) {
    ts += Math.floor(r() * 50);
    const p = PROVIDERS[Math.floor(r() * PROVIDERS.length)]!;
    const env: Record<string, unknown> = {
      ts: r() < 0.5 ? new Date(ts).toISOString() : ts,
      endpoint: p.endpoint,
      model: p.models[Math.floor(r() * p.models.length)],
      api_key: keys[Math.floor(r() * keys.length)],
      tenant: `tenant-${Math.floor(r() * 20)}`,
      latency_ms: Math.floor(200 + r() * 4000),
      request_id: `req-${i.toString(36)}`,
      stream: r() < 0.6,
    };
    if (r() < 0.85) {
      const prompt = Math.floor(r() * 4000);
      const completion = Math.floor(r() * 800);
      env.status = 200;
      env.finish_reason = 'stop';
      env.usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    } else {
      const k = Math.floor(r() * FAILURES.length);
      Object.assign(env, FAILURES[k]!(r));
      const home = HOMES[k]!;
      // Each failure shape comes from the providers that really send it.
      const hp = PROVIDERS[home[Math.floor(r() * home.length)]!]!;
      env.endpoint = hp.endpoint;
      env.model = hp.models[Math.floor(r() * hp.models.length)];
    }
    lines[i] = JSON.stringify(env);
  }
  return lines;
}

function parseAll(lines: string[]): number {
  let n = 0;
  for (const l of lines) if (typeof JSON.parse(l) === 'object') n++;
  return n;
}

/** In batches of 1000 lines, as the Kafka worker hands them over. */
function processAll(lines: string[]): number {
  let n = 0;
  for (let i = 0; i < lines.length; i += 1000) {
    n += classifyBatch(lines.slice(i, i + 1000).map((value) => ({ value, fallbackTs: 0 }))).rows.length;
  }
  return n;
}

function timeIt(fn: () => number): { seconds: number; count: number } {
  const t0 = process.hrtime.bigint();
  const count = fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, count };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Real-shaped lines for the CLI: the traffic mix above, with every failure replaced by an envelope of the
 * real-world corpus (test/fixtures/real-world: texts people pasted from their logs), round-robin.
 */
export function realShapedLines(n: number): string[] {
  const dir = join(ROOT, 'test/fixtures/real-world');
  const corpus: string[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.ndjson'))
    .sort())
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n'))
      if (l.trim() !== '') corpus.push(JSON.stringify((JSON.parse(l) as { envelope: unknown }).envelope));
  const lines = generateLines(n, 7);
  let k = 0;
  for (let i = 0; i < n; i++) if (!lines[i]!.includes('"status":200')) lines[i] = corpus[k++ % corpus.length]!;
  return lines;
}

/** The bare loop the CLI is measured against: readline + JSON.parse + JSON.stringify, output discarded. */
const BARE_LOOP = `
const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });
let out = '';
rl.on('line', (l) => { out += JSON.stringify(JSON.parse(l)) + '\\n'; if (out.length > 65536) { process.stdout.write(out); out = ''; } });
rl.on('close', () => process.stdout.write(out));
`;

function timeProcess(args: string[]): number {
  const devnull = openSync('/dev/null', 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', devnull, 'inherit'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return s;
}

/** `errorscope classify FILE` against the bare loop over the same file, each a whole process. */
function cliScenario(n: number): { bare_per_s: number; cli_per_s: number; ratio: number } {
  const dir = mkdtempSync(join(tmpdir(), 'errorscope-bench-'));
  try {
    const file = join(dir, 'calls.ndjson');
    writeFileSync(file, `${realShapedLines(n).join('\n')}\n`);
    const bin = join(ROOT, 'bin/errorscope.js');
    const bare: number[] = [];
    const cli: number[] = [];
    for (let run = 0; run < 3; run++) {
      bare.push(n / timeProcess(['-e', BARE_LOOP, file]));
      cli.push(n / timeProcess([bin, 'classify', file]));
    }
    const b = median(bare);
    const c = median(cli);
    console.log(
      `errorscope classify over ${n.toLocaleString('en-US')} real-shaped lines (whole processes, median of 3):`,
    );
    console.log(
      `  bare readline + JSON.parse + JSON.stringify ${Math.round(b).toLocaleString('en-US').padStart(10)} lines/s`,
    );
    console.log(
      `  errorscope classify                         ${Math.round(c).toLocaleString('en-US').padStart(10)} lines/s`,
    );
    console.log(`  ratio ${(c / b).toFixed(2)}x (target >= 0.5x)`);
    return { bare_per_s: Math.round(b), cli_per_s: Math.round(c), ratio: Number((c / b).toFixed(3)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = {
  summary:
    'envelopes/s: JSON.parse alone vs classifyBatch (parse + normalize + classify); the CLI vs a bare loop; --n N (default 1000000), --cli-n N (default 300000)',
  async run(args) {
    const i = args.indexOf('--n');
    const n = i >= 0 ? Number(args[i + 1]) : 1_000_000;
    if (!Number.isInteger(n) || n <= 0) throw new Error('--n needs a positive integer');
    const j = args.indexOf('--cli-n');
    const cliN = j >= 0 ? Number(args[j + 1]) : 300_000;
    if (!Number.isInteger(cliN) || cliN <= 0) throw new Error('--cli-n needs a positive integer');
    const lines = generateLines(n);
    const bytes = lines.reduce((s, l) => s + Buffer.byteLength(l), 0);
    // Warm-up: let the JIT settle on both paths.
    const warm = lines.slice(0, Math.min(n, 100_000));
    parseAll(warm);
    processAll(warm);
    const parse: number[] = [];
    const proc: number[] = [];
    let accepted = 0;
    for (let run = 0; run < 3; run++) {
      parse.push(n / timeIt(() => parseAll(lines)).seconds);
      const t = timeIt(() => processAll(lines));
      accepted = t.count;
      proc.push(n / t.seconds);
    }
    const parseRate = median(parse);
    const procRate = median(proc);
    const ratio = procRate / parseRate;
    const row = (name: string, rate: number) =>
      `${name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} env/s   ${((n / rate) * 1000).toFixed(0).padStart(6)} ms`;
    console.log(`${n.toLocaleString('en-US')} envelopes, ${(bytes / 1e6).toFixed(1)} MB NDJSON, ${accepted} accepted`);
    console.log(row('JSON.parse only', parseRate));
    console.log(row('classifyBatch (parse+normalize+classify)', procRate));
    console.log(`ratio ${(ratio * 100).toFixed(1)}% (target >= 50%)   [median of 3 runs]`);
    console.log(
      JSON.stringify({
        bench: 'classify',
        n,
        bytes,
        parse_per_s: Math.round(parseRate),
        process_per_s: Math.round(procRate),
        ratio: Number(ratio.toFixed(3)),
        runs: { parse: parse.map(Math.round), process: proc.map(Math.round) },
        cli: cliScenario(cliN),
      }),
    );
  },
};
