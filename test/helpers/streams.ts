// In-memory streams for tests that read what a command or a logger wrote.
import { PassThrough } from 'node:stream';

/** A stream and everything written to it so far. */
export function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (d) => {
    out += d;
  });
  return { stream, text: () => out };
}

/** A command's io (stdin, stdout, stderr, env) and what it wrote to stdout and stderr. */
export function commandIo(env: Record<string, string> = {}) {
  const out = capture();
  const err = capture();
  return {
    io: { stdin: new PassThrough(), stdout: out.stream, stderr: err.stream, env },
    text: () => ({ stdout: out.text(), stderr: err.text() }),
  };
}

/** Lets stream 'data' handlers and setImmediate callbacks run. */
export const tick = () => new Promise((r) => setImmediate(r));
