// `errorscope classify`: NDJSON envelopes in, one JSON classification per input line out, in order.
// Streams with backpressure (async iteration pulls input; writes wait for 'drain'); never stops early.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { ConfigError, parseConfig } from '../config.js';
import { analyzeValue, parseLine, toClassification } from '../core/index.js';
import type { Command, CommandIo } from './main.js';
import { looksLikeMultiLineJson, ndjsonHint, usageError } from './usage.js';

const HELP = `usage: errorscope classify [--strict] [--max-bytes N] [FILE ...]

Reads log envelopes (one JSON object per line) from the FILEs, or from stdin when none is given
(- also means stdin), and writes exactly one JSON line per input line, in order:

  {"category":"quota","code":"1310","http_status":429,"provider":"zai","retryable":false,
   "reset_at":"2026-08-01T02:03:40.000Z","known":true,"message":"...","request_id":"...",
   "key_fp":"fp_...","model":"glm-4.6","vars":{"next_flush_time":"2026-08-01 10:03:40"}}

A line that cannot be classified (empty, not JSON, not an object, over the size limit, a field of
the wrong type) still gets its line: {"category":"unknown","invalid":true,"error":"<why>",...}.
Raw API keys are never printed: key_fp is a fingerprint (fp_ + 16 hex chars of sha256).

  --strict        exit 1 if any line was invalid
  --max-bytes N   reject lines over N bytes (default INGEST_MAX_MESSAGE_BYTES, 1048576)

Exit codes: 0 done (invalid lines included, unless --strict), 1 an input file could not be read
(the other files are still processed; the error is on stderr) or --strict saw an invalid line,
2 usage error.
`;

const FLUSH_CHARS = 64 * 1024;

function fail(io: CommandIo, message: string): number {
  io.stderr.write(usageError('classify', message, HELP));
  return 2;
}

export const command: Command = {
  summary: 'classify NDJSON call logs from stdin or files (one JSON line out per line in)',
  help: HELP,
  async run(args, io) {
    let strict = false;
    let maxBytes: number | undefined;
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--strict') strict = true;
      else if (a === '--max-bytes') {
        const v = Number(args[++i]);
        if (!Number.isInteger(v) || v <= 0) return fail(io, '--max-bytes needs a positive integer');
        maxBytes = v;
      } else if (a.startsWith('-') && a !== '-') return fail(io, `unknown option '${a}'`);
      else files.push(a);
    }
    if (maxBytes === undefined) {
      try {
        maxBytes = parseConfig(io.env).INGEST_MAX_MESSAGE_BYTES;
      } catch (err) {
        if (err instanceof ConfigError) return fail(io, err.message);
        throw err;
      }
    }
    if (files.length === 0) files.push('-');

    const out = new Output(io.stdout);
    let invalid = 0;
    let unreadable = 0;
    let hinted = false;
    for (const file of files) {
      const input = file === '-' ? io.stdin : createReadStream(file);
      try {
        for await (const line of splitLines(input, maxBytes)) {
          const text = classifyLine(line, maxBytes);
          if (text.invalid) {
            invalid++;
            if (!hinted && line !== OVERSIZE && looksLikeMultiLineJson(Buffer.from(line).toString('utf8', 0, 4096))) {
              hinted = true;
              io.stderr.write(ndjsonHint('classify', file));
            }
          }
          await out.write(text.json);
        }
      } catch (err) {
        // The reader went away (`| head`): stop quietly, like any Unix filter.
        if (out.closed) return out.closed.code === 'EPIPE' ? 0 : 1;
        unreadable++;
        await out.flush();
        io.stderr.write(`errorscope classify: ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    try {
      await out.flush();
    } catch {
      return out.closed?.code === 'EPIPE' ? 0 : 1;
    }
    return unreadable > 0 || (strict && invalid > 0) ? 1 : 0;
  },
};

/** Marker for a line longer than the limit (its bytes were not kept). */
const OVERSIZE = Symbol('oversize');

function classifyLine(line: Uint8Array | typeof OVERSIZE, maxBytes: number): { json: string; invalid: boolean } {
  const parsed =
    line === OVERSIZE ? { ok: false as const, reason: `line exceeds ${maxBytes} bytes` } : parseLine(line, maxBytes);
  const a = parsed.ok ? analyzeValue(parsed.value, { fallbackTs: Date.now(), maxBytes }) : parsed;
  if (!a.ok) {
    return {
      invalid: true,
      json: JSON.stringify({
        category: 'unknown',
        invalid: true,
        error: a.reason,
        code: null,
        http_status: null,
        provider: null,
        retryable: false,
        reset_at: null,
        known: false,
      }),
    };
  }
  const c = toClassification(a.verdict);
  return {
    invalid: false,
    json: JSON.stringify({
      category: c.category,
      code: c.code,
      http_status: c.http_status,
      provider: c.provider,
      retryable: c.retryable,
      reset_at: c.reset_at,
      known: c.known,
      message: c.message,
      request_id: c.request_id,
      key_fp: a.record.key_fp || null,
      model: a.record.model || null,
      vars: c.vars,
    }),
  };
}

/**
 * Splits a byte stream on LF (a trailing CR is dropped by the JSON parser's whitespace rule, and
 * trimmed here for empty-line detection). Lines over the limit are not buffered: their bytes are
 * dropped and OVERSIZE is yielded, so a huge line cannot exhaust memory.
 */
async function* splitLines(
  input: NodeJS.ReadableStream,
  maxBytes: number,
): AsyncGenerator<Uint8Array | typeof OVERSIZE> {
  let parts: Buffer[] = [];
  let size = 0;
  const limit = maxBytes + 1; // + the CR of a CRLF line
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      const end = nl < 0 ? buf.length : nl;
      const piece = buf.subarray(start, end);
      if (size <= limit) {
        size += piece.length;
        if (size <= limit) parts.push(piece);
        else parts = [];
      }
      if (nl < 0) break;
      yield size > limit ? OVERSIZE : stripCr(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
      parts = [];
      size = 0;
      start = nl + 1;
    }
  }
  if (size > 0) yield size > limit ? OVERSIZE : stripCr(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
}

function stripCr(b: Buffer): Buffer {
  return b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

/** Batches output lines and respects the destination's backpressure. */
class Output {
  private buf = '';
  /** Set when the destination failed (EPIPE when the reader closed the pipe). */
  closed: NodeJS.ErrnoException | null = null;

  constructor(private readonly dest: NodeJS.WritableStream) {
    dest.on('error', (err: NodeJS.ErrnoException) => {
      this.closed = err;
    });
  }

  async write(line: string): Promise<void> {
    if (this.closed) throw this.closed;
    this.buf += `${line}\n`;
    if (this.buf.length >= FLUSH_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.closed) throw this.closed;
    if (this.buf === '') return;
    const text = this.buf;
    this.buf = '';
    if (!this.dest.write(text)) await once(this.dest, 'drain');
  }
}
