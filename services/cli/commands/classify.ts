// `errorscope classify`: NDJSON envelopes in, one JSON classification per input line out, in order.
// Streams with backpressure (async iteration pulls input; writes wait for 'drain'); never stops early.
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { type CallRecord, type Classification, classifyBatch } from '../../core/index.js';
import { defineCommand, UsageError } from '../command.js';
import { looksLikeMultiLineJson, ndjsonHint } from '../usage.js';

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

export const command = defineCommand({
  name: 'classify',
  summary: 'classify NDJSON envelopes from stdin or files',
  help: HELP,
  parse(args) {
    let strict = false;
    const overrides: Record<string, string> = {};
    const files: string[] = [];
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--strict') strict = true;
      else if (a === '--max-bytes') {
        const v = Number(args[++i]);
        if (!Number.isInteger(v) || v <= 0) throw new UsageError('--max-bytes needs a positive integer');
        overrides.INGEST_MAX_MESSAGE_BYTES = String(v);
      } else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option '${a}'`);
      else files.push(a);
    }
    if (files.length === 0) files.push('-');
    return { strict, files, overrides };
  },
  async run({ strict, files }, config, io) {
    const maxBytes = config.INGEST_MAX_MESSAGE_BYTES;
    const out = new Output(io.stdout);
    let invalid = 0;
    let unreadable = 0;
    let hinted = false;
    for (const file of files) {
      const input = file === '-' ? io.stdin : createReadStream(file);
      const lines = new LineSplitter(maxBytes);
      const classifyAll = (batch: Line[]) => {
        // One clock reading per chunk: the fallback time of lines without ts.
        const texts = classifyChunk(batch, maxBytes, Date.now());
        batch.forEach((line, i) => {
          const text = texts[i]!;
          if (text.invalid) {
            invalid++;
            if (!hinted && line !== OVERSIZE && looksLikeMultiLineJson(headOf(line))) {
              hinted = true;
              io.stderr.write(ndjsonHint('classify', file));
            }
          }
          out.append(text.json);
        });
      };
      try {
        for await (const chunk of input as AsyncIterable<Buffer | string>) {
          classifyAll(lines.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
          await out.flushIfFull();
        }
        classifyAll(lines.end());
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
});

/** Marker for a line longer than the limit (its bytes were not kept). */
const OVERSIZE = Symbol('oversize');

/** The output line of each input line, in order: one classifyBatch call for the chunk. */
function classifyChunk(lines: Line[], maxBytes: number, now: number): { json: string; invalid: boolean }[] {
  const inputs = lines.flatMap((value) => (value === OVERSIZE ? [] : [{ value, fallbackTs: now }]));
  const { rows, rejected, details } = classifyBatch(inputs, { maxBytes, details: true });
  let row = 0;
  let rej = 0;
  let input = 0;
  return lines.map((line) => {
    if (line === OVERSIZE) return invalidLine(`line exceeds ${maxBytes} bytes`);
    const r = rejected[rej];
    if (r !== undefined && r.index === input++) {
      rej++;
      return invalidLine(r.reason);
    }
    const c = details![row]!;
    return validLine(rows[row++]!, c);
  });
}

function invalidLine(reason: string): { json: string; invalid: boolean } {
  return {
    invalid: true,
    json: JSON.stringify({
      category: 'unknown',
      invalid: true,
      error: reason,
      code: null,
      http_status: null,
      provider: null,
      retryable: false,
      reset_at: null,
      known: false,
    }),
  };
}

function validLine(record: CallRecord, c: Classification): { json: string; invalid: boolean } {
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
      key_fp: record.key_fp || null,
      model: record.model || null,
      vars: c.vars,
      ...(c.notes ? { notes: c.notes } : {}),
    }),
  };
}

type Line = string | Uint8Array | typeof OVERSIZE;

function headOf(line: string | Uint8Array): string {
  return typeof line === 'string' ? line.slice(0, 4096) : Buffer.from(line).toString('utf8', 0, 4096);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a byte stream on LF, a chunk at a time: the complete lines of a chunk are decoded in one go
 * (a chunk that is not valid UTF-8 falls back to per-line bytes, so only the bad line is refused). A
 * trailing CR is dropped by the JSON parser's whitespace rule. Lines over the limit are not buffered:
 * their bytes are dropped and OVERSIZE is returned, so a huge line cannot exhaust memory.
 */
class LineSplitter {
  private carry: Buffer[] = [];
  private carrySize = 0;
  private readonly limit: number;

  constructor(maxBytes: number) {
    this.limit = maxBytes + 1; // + the CR of a CRLF line
  }

  push(buf: Buffer): Line[] {
    const out: Line[] = [];
    const last = buf.lastIndexOf(10);
    if (last < 0) {
      this.keep(buf);
      return out;
    }
    const first = buf.indexOf(10);
    // The line that started in earlier chunks ends at the first LF of this one.
    let from = 0;
    if (this.carrySize > 0 || this.carry.length > 0) {
      this.keep(buf.subarray(0, first));
      out.push(this.takeCarry());
      from = first + 1;
    }
    if (from <= last) this.complete(buf.subarray(from, last), out);
    this.keep(buf.subarray(last + 1));
    return out;
  }

  end(): Line[] {
    return this.carrySize > 0 ? [this.takeCarry()] : [];
  }

  /** Whole lines (no LF at the end): decoded at once when the bytes are valid UTF-8. */
  private complete(region: Buffer, out: Line[]): void {
    let text: string | null = null;
    if (region.length <= 64 * this.limit) {
      try {
        text = utf8.decode(region);
      } catch {
        text = null;
      }
    }
    if (text !== null) {
      for (const line of text.split('\n'))
        out.push(line.length * 3 > this.limit && Buffer.byteLength(line) > this.limit ? OVERSIZE : line);
      return;
    }
    let start = 0;
    for (;;) {
      const nl = region.indexOf(10, start);
      const piece = region.subarray(start, nl < 0 ? region.length : nl);
      out.push(piece.length > this.limit ? OVERSIZE : piece);
      if (nl < 0) break;
      start = nl + 1;
    }
  }

  private keep(piece: Buffer): void {
    if (this.carrySize <= this.limit) {
      this.carrySize += piece.length;
      if (this.carrySize <= this.limit) this.carry.push(piece);
      else this.carry = [];
    }
  }

  private takeCarry(): Line {
    const line =
      this.carrySize > this.limit ? OVERSIZE : this.carry.length === 1 ? this.carry[0]! : Buffer.concat(this.carry);
    this.carry = [];
    this.carrySize = 0;
    return line;
  }
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

  append(line: string): void {
    this.buf += `${line}\n`;
  }

  async flushIfFull(): Promise<void> {
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
