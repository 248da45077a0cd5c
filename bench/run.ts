// Benchmark registry: `npm run bench` runs every benchmark, `npm run bench -- <name> [options]` one.
// Adding a benchmark is one line in BENCHMARKS. bench/ is not part of the npm package: `npm run bench`
// compiles it (tsconfig.bench.json) from a checkout.
import type { Benchmark } from './benchmark.js';

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  classify: async () => (await import('./classify.js')).benchmark,
  api: async () => (await import('./api.js')).benchmark,
  ingest: async () => (await import('./ingest.js')).benchmark,
};

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: npm run bench [-- <name> [options]]\n\nbenchmarks:`);
    for (const [name, load] of Object.entries(BENCHMARKS))
      console.log(`  ${name.padEnd(12)} ${(await load()).summary}`);
    return 0;
  }
  const first = argv[0];
  const selected = first !== undefined && !first.startsWith('-') ? [first] : Object.keys(BENCHMARKS);
  const options = first !== undefined && !first.startsWith('-') ? argv.slice(1) : argv;
  for (const name of selected) {
    const load = BENCHMARKS[name];
    if (!load) {
      console.error(`unknown benchmark '${name}' (known: ${Object.keys(BENCHMARKS).join(', ')})`);
      return 2;
    }
    console.log(`\n== ${name} ==`);
    await (await load()).run(options);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
