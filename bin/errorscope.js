#!/usr/bin/env node
// The one entry point for every errorscope process; the TypeScript is compiled by `npm ci` (prepare).
import { main } from '../dist/services/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`errorscope: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
