// The dead-letter topic: a message that can never become a row is produced there with its original
// bytes and key, the reason and where it came from in headers. Sent with acks=all, and awaited before
// the source offsets are committed, so a poison message is never lost (it may be sent twice after a
// crash: readers count distinct errorscope-topic/partition/offset).
//
// The dead-letter path must never block a partition: a copy the broker refuses as too large (the
// copy plus its headers is larger than the source message, or the dead-letter topic has smaller
// limits) is sent again as a truncated copy that says so in its headers: why, the original size and
// the SHA-256 of the original value, so it can be matched with the source message. Credentials in a
// copy are replaced by their fingerprints (services/core/fingerprint.ts scrubSecrets): the rest of the
// line is kept for diagnosis, and a replayed copy keeps its key identity (an fp_ key is taken as is).
import { createHash } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import { scrubSecrets } from '../core/fingerprint.js';

/** A message for the dead-letter topic (services/store/dead-letters.ts DeadLetter is the stored row). */
export interface DeadLetterMessage {
  topic: string;
  partition: number;
  offset: number;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
}

export interface DeadLetterSink {
  send(letters: readonly DeadLetterMessage[]): Promise<void>;
}

export const DLQ_HEADERS = {
  reason: 'errorscope-reason',
  topic: 'errorscope-topic',
  partition: 'errorscope-partition',
  offset: 'errorscope-offset',
  timestamp: 'errorscope-timestamp',
  /** Only on a truncated copy: why the full copy was refused (the broker's error). */
  truncated: 'errorscope-truncated',
  /** Only on a truncated copy: size in bytes of the original value. */
  originalSize: 'errorscope-original-size',
  /** Only on a truncated copy: hex SHA-256 of the original value ('' for a null value). */
  sha256: 'errorscope-original-sha256',
  /** Only on a truncated copy whose key was dropped: size in bytes of the original key. */
  originalKeySize: 'errorscope-original-key-size',
  /** 'true' when credentials in the value or key were replaced by their fingerprints. */
  scrubbed: 'errorscope-scrubbed',
} as const;

/**
 * The bytes with every credential replaced by its fingerprint (the same scrubber as every stored
 * text), so the dead-letter topic keeps the line for diagnosis but never a raw key. Text that is not
 * UTF-8 is scrubbed as latin1, which maps each byte to one character and back unchanged.
 */
export function scrubBytes(b: Buffer | null): Buffer | null {
  if (b === null || b.byteLength === 0) return b;
  const utf8 = b.toString('utf8');
  const enc: BufferEncoding =
    Buffer.byteLength(utf8, 'utf8') === b.byteLength && Buffer.from(utf8).equals(b) ? 'utf8' : 'latin1';
  const text = enc === 'utf8' ? utf8 : b.toString('latin1');
  const out = scrubSecrets(text);
  return out === text ? b : Buffer.from(out, enc);
}

/**
 * Bytes of the original value kept by the truncated copies, tried in this order: enough to recognise
 * the message; then a little; then none (headers only, which any sane topic limit admits).
 */
export const TRUNCATED_VALUE_BYTES = [16_384, 1_024, 0] as const;
/** A key longer than this is dropped from a truncated copy (its size is kept in a header). */
const TRUNCATED_KEY_MAX = 256;

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/** True when the broker refused a produce request because a record (batch) is too large. */
export function isTooLarge(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.type === 'string' && TOO_LARGE.has(e.type)) return true;
    e = e.cause as typeof e;
  }
  return false;
}

function sha256Hex(value: Buffer | null): string {
  return value === null ? '' : createHash('sha256').update(value).digest('hex');
}

function headersOf(l: DeadLetterMessage): Record<string, string> {
  const h: Record<string, string> = {
    [DLQ_HEADERS.reason]: l.reason,
    [DLQ_HEADERS.topic]: l.topic,
    [DLQ_HEADERS.partition]: String(l.partition),
    [DLQ_HEADERS.offset]: String(l.offset),
    [DLQ_HEADERS.timestamp]: l.timestamp,
  };
  if (scrubBytes(l.value) !== l.value || scrubBytes(l.key) !== l.key) h[DLQ_HEADERS.scrubbed] = 'true';
  return h;
}

/** The full copy: original key and value, credentials replaced by their fingerprints. */
export function fullCopy(l: DeadLetterMessage): Message {
  return { key: scrubBytes(l.key), value: scrubBytes(l.value), headers: headersOf(l) };
}

/** A copy keeping the first `keepBytes` of the value, with why, the original size and hash. Pure. */
export function truncatedCopy(l: DeadLetterMessage, keepBytes: number, why: string): Message {
  const headers = headersOf(l);
  headers[DLQ_HEADERS.truncated] = why.slice(0, 512);
  headers[DLQ_HEADERS.originalSize] = String(l.value?.byteLength ?? 0);
  headers[DLQ_HEADERS.sha256] = sha256Hex(l.value);
  let key = scrubBytes(l.key);
  if (key !== null && key.byteLength > TRUNCATED_KEY_MAX) {
    headers[DLQ_HEADERS.originalKeySize] = String(key.byteLength);
    key = null;
  }
  const scrubbed = scrubBytes(l.value);
  const value = scrubbed === null ? null : scrubbed.subarray(0, Math.min(keepBytes, scrubbed.byteLength));
  return { key, value, headers };
}

export interface DeadLetterEvents {
  /** A letter went out as a truncated copy (`keptBytes` of its value) because the full copy was refused. */
  onTruncated?(letter: DeadLetterMessage, keptBytes: number, why: string): void;
}

export function kafkaDeadLetters(producer: Producer, dlqTopic: string, events: DeadLetterEvents = {}): DeadLetterSink {
  const produce = (messages: Message[]) => producer.send({ topic: dlqTopic, acks: -1, messages });
  return {
    async send(letters) {
      if (letters.length === 0) return;
      try {
        await produce(letters.map(fullCopy));
        return;
      } catch (err) {
        if (!isTooLarge(err)) throw err;
      }
      // One of them (or the batch of them together) is too large: one by one, each truncated if needed.
      for (const l of letters) {
        let why: string;
        try {
          await produce([fullCopy(l)]);
          continue;
        } catch (err) {
          if (!isTooLarge(err)) throw err;
          why = `${(err as { type?: string }).type ?? 'MESSAGE_TOO_LARGE'}: ${(err as Error).message}`;
        }
        await sendTruncated(l, why);
      }
    },
  };

  async function sendTruncated(l: DeadLetterMessage, why: string): Promise<void> {
    const size = l.value?.byteLength ?? 0;
    // Only sizes below the original: the full copy was just refused.
    const ladder = TRUNCATED_VALUE_BYTES.filter((n) => n < size || n === 0);
    for (let i = 0; i < ladder.length; i++) {
      const keep = ladder[i] as number;
      try {
        await produce([truncatedCopy(l, keep, why)]);
        events.onTruncated?.(l, keep, why);
        return;
      } catch (err) {
        // The headers-only copy refused too: the topic admits almost nothing; retrying cannot help.
        if (!isTooLarge(err) || i === ladder.length - 1) throw err;
      }
    }
  }
}
