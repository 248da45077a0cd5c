// errorscope commands as child processes (the CLI from dist/, as users run it), with their output kept.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from './kafka.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface SpawnedWorker {
  proc: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  /** SIGTERM (commit the batch in flight, then exit 0), bounded wait, then SIGKILL. */
  stop: () => Promise<number | null>;
}

/**
 * `errorscope <args>` with `env` over this process' environment; stdout and stderr are kept together
 * (the last `keepChars` characters).
 */
export function spawnCli(args: string[], env: Record<string, string>, keepChars = 20_000): SpawnedWorker {
  let output = '';
  const proc = spawn(process.execPath, [resolve(ROOT, 'bin/errorscope.js'), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    output = (output + d).slice(-keepChars);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return {
    proc,
    exited,
    output: () => output,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `errorscope ingest` on the embedded engine, metrics on a free port, warnings only. */
export function spawnIngest(args: string[], env: Record<string, string>): SpawnedWorker {
  return spawnCli(['ingest', ...args], { CLICKHOUSE_URL: '', METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env });
}

/** Waits (bounded) until `url` answers 200; fails at once, with its output if kept, when `cli` exits first. */
export async function untilAnswers(
  url: string,
  cli: { proc: ChildProcess; output?: () => string },
  what: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    what,
    () => {
      if (cli.proc.exitCode !== null) throw new Error(`exited early (${what}): ${cli.output?.().slice(-2000) ?? ''}`);
      return fetch(url).then(
        (r) => r.status === 200,
        () => false,
      );
    },
    timeoutMs,
  );
}
