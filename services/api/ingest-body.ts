// What the HTTP ingest endpoint does with a request before and around the store: content encodings
// (decoded as a stream, bounded by the body limit), the concurrency gate that bounds its memory, and
// the request body's hash for Idempotency-Key.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** Largest request body, after decoding (a zip bomb is refused at this many bytes, 413). */
export const INGEST_BODY_LIMIT = 64 * 1024 * 1024;
/** Request bodies read and processed at once; later requests wait (TCP backpressure holds their bytes). */
export const INGEST_CONCURRENCY = 2;
/** Requests that may wait for a slot; beyond that the answer is 503 with Retry-After. */
export const INGEST_MAX_WAITING = 32;
/** Rows per insert: a request's rows go to the store in blocks of this size. */
export const INGEST_BLOCK_ROWS = 10_000;

/** An error fastify answers with its statusCode (the error handler keeps the message). */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The decoding stream for a Content-Encoding header (null for identity/none), or an HttpError 415.
 * One encoding only: stacked encodings (`gzip, br`) are not sent by any shipper we know.
 */
export function decoderFor(header: string | undefined, limit = INGEST_BODY_LIMIT): Transform | null {
  const enc = (header ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return null;
  let inner: Transform;
  if (enc === 'gzip' || enc === 'x-gzip') inner = createGunzip();
  else if (enc === 'deflate') inner = createInflate();
  else if (enc === 'br') inner = createBrotliDecompress();
  else {
    throw new HttpError(
      415,
      `Content-Encoding '${header}' is not supported: send the body uncompressed or with gzip, deflate or br`,
    );
  }
  return boundedDecoder(inner, limit);
}

/**
 * The decoder's output counted against `limit`: past it, decoding stops at once (no work spent on
 * the rest of a zip bomb) and the stream fails with 413. `receivedEncodedLength` is the compressed
 * size fastify compares with Content-Length.
 */
function boundedDecoder(inner: Transform, limit: number): Transform {
  let decoded = 0;
  let failed = false;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      (out as Transform & { receivedEncodedLength: number }).receivedEncodedLength += chunk.length;
      if (failed) return cb();
      if (!inner.write(chunk)) inner.once('drain', () => cb());
      else cb();
    },
    flush(cb) {
      if (failed) return cb();
      inner.once('end', () => cb());
      inner.end();
    },
  });
  (out as Transform & { receivedEncodedLength: number }).receivedEncodedLength = 0;
  inner.on('data', (chunk: Buffer) => {
    if (failed) return;
    decoded += chunk.length;
    if (decoded > limit) {
      failed = true;
      inner.destroy();
      out.destroy(
        new HttpError(
          413,
          `the decoded body is over ${limit} bytes: send smaller requests (the limit counts decoded bytes)`,
        ),
      );
      return;
    }
    out.push(chunk);
  });
  inner.on('error', (err) => {
    if (failed) return;
    failed = true;
    out.destroy(new HttpError(400, `the body is not valid for its Content-Encoding: ${err.message}`));
  });
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A counting semaphore with a bounded queue. */
export class Gate {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Most slots ever held at once (tests read it). */
  peak = 0;

  constructor(
    readonly max: number,
    readonly maxWaiting: number,
  ) {}

  /** A release function once a slot is free, or null when too many already wait. */
  async enter(): Promise<(() => void) | null> {
    if (this.active >= this.max) {
      if (this.waiting.length >= this.maxWaiting) return null;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    this.peak = Math.max(this.peak, this.active);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter (active stays the same).
      if (next) next();
      else this.active--;
    };
  }
}

/** Line count of an NDJSON body (a last line without a newline counts; a trailing newline does not). */
export function countLines(body: string): number {
  if (body === '') return 0;
  let n = 0;
  let i = body.indexOf('\n');
  while (i !== -1) {
    n++;
    i = body.indexOf('\n', i + 1);
  }
  return body.endsWith('\n') ? n : n + 1;
}

/** The body's lines in blocks of `size`, without splitting the whole body at once. */
export function* lineBlocks(body: string, size: number): Generator<{ first: number; lines: string[] }> {
  let start = 0;
  let index = 0;
  let block: string[] = [];
  let first = 0;
  while (start < body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    let line = body.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    block.push(line);
    index++;
    start = end + 1;
    if (block.length === size) {
      yield { first, lines: block };
      first = index;
      block = [];
    }
  }
  if (block.length > 0) yield { first, lines: block };
}
