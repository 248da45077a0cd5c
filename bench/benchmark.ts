// What a benchmark is: bench/run.ts lists them, each bench/<name>.ts exports one. Its own module, so
// the registry and the benchmarks do not import each other.
export interface Benchmark {
  summary: string;
  /** Prints a readable table and one JSON line with the figures. */
  run(args: string[]): Promise<void>;
}
