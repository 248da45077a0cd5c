// `errorscope ingest` as a child process (the CLI from dist/, as users run it), with its output kept.
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface SpawnedWorker {
  proc: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
  /** SIGTERM (commit the batch in flight, then exit 0), bounded wait, then SIGKILL. */
  stop: () => Promise<number | null>;
}

export function spawnIngest(args: string[], env: Record<string, string>): SpawnedWorker {
  let output = '';
  const proc = spawn(process.execPath, [resolve(ROOT, 'bin/errorscope.js'), 'ingest', ...args], {
    cwd: ROOT,
    env: { ...process.env, CLICKHOUSE_URL: '', METRICS_PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (d: Buffer) => {
    output = (output + d).slice(-20_000);
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
