// Classifier throughput: JSON.parse alone vs classifyBatch (parse + normalize + classify) over 1M realistic
// NDJSON envelopes generated in memory with a seeded PRNG (~85% ok calls, errors in every real shape).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyBatch } from '../services/core/index.js';
import { generateLines } from '../services/traffic/index.js';
import type { Benchmark } from './benchmark.js';

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
