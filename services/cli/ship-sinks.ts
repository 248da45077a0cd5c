// Destinations of `errorscope ship`: the Kafka topic or the HTTP ingest endpoint. Thin adapters with
// one job each: deliver a batch and say which lines were refused and why. kafkajs is loaded when a
// Kafka sink connects, so a command that sends over HTTP never loads it.
import type { Producer } from 'kafkajs';
import type { BeyondRetention } from '../core/retention.js';

export interface ShipMessage {
  key: string;
  value: string;
}

interface SendResult {
  accepted: number;
  /** `index` is the position in the batch that was sent. */
  rejected: { index: number; reason: string }[];
  /** Accepted calls past each table's retention (the HTTP endpoint says; Kafka cannot). */
  beyondRetention?: BeyondRetention;
}

export interface ShipSink {
  readonly describe: string;
  connect(): Promise<void>;
  /** `idempotencyKey` names this batch: sending it again must not count it twice. */
  send(batch: ShipMessage[], idempotencyKey: string): Promise<SendResult>;
  close(): Promise<void>;
}

/** The destination cannot be reached or refuses service: the run stops, resumable. */
export class SinkUnreachable extends Error {
  override name = 'SinkUnreachable';
}

/** The one-line gist of a client error: kafkajs nests the socket error's code in `cause`. */
function brief(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string } };
  const code = e.cause?.code ?? /\b(E[A-Z]{3,})\b/.exec(e.message ?? '')?.[1];
  return code ?? (e.message ?? String(err)).split('\n', 1)[0] ?? 'error';
}

/**
 * Bytes of keys and values per produce request. The broker refuses a partition's record batch over its
 * message.max.bytes (1 MiB by default) whole: a `demo --backfill` batch of 20,000 calls (~7 MB) failed
 * with "larger than the max message size" once its keys put over 1 MiB on one partition.
 */
export const PRODUCE_REQUEST_MAX_BYTES = 900_000;

/** The batch in order, cut into produce requests of at most PRODUCE_REQUEST_MAX_BYTES (one message at least). */
export function produceRequests<M extends ShipMessage>(batch: readonly M[]): M[][] {
  const out: M[][] = [];
  let part: M[] = [];
  let bytes = 0;
  for (const m of batch) {
    const size = Buffer.byteLength(m.key) + Buffer.byteLength(m.value);
    if (part.length > 0 && bytes + size > PRODUCE_REQUEST_MAX_BYTES) {
      out.push(part);
      part = [];
      bytes = 0;
    }
    part.push(m);
    bytes += size;
  }
  if (part.length > 0) out.push(part);
  return out;
}

export function kafkaSink(opts: { brokers: string[]; topic: string; clientId: string }): ShipSink {
  let producer: Producer | null = null;
  const where = `Kafka topic ${opts.topic} at ${opts.brokers.join(',')}`;
  return {
    describe: where,
    async connect() {
      const { Kafka, logLevel } = await import('kafkajs');
      const kafka = new Kafka({
        clientId: `${opts.clientId}-ship`,
        brokers: opts.brokers,
        connectionTimeout: 3000,
        retry: { retries: 3, initialRetryTime: 200 },
        logLevel: logLevel.NOTHING,
      });
      producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
      } catch (err) {
        const { brokerUnreachable } = await import('../kafka/client.js');
        throw new SinkUnreachable(
          brokerUnreachable(err, opts.brokers) ??
            `cannot connect to the Kafka broker at ${opts.brokers.join(',')}: ${brief(err)}`,
        );
      }
    },
    async send(batch) {
      if (!producer) throw new Error('kafkaSink: send before connect');
      try {
        for (const part of produceRequests(batch)) {
          await producer.send({
            topic: opts.topic,
            acks: -1,
            messages: part.map((m) => ({ key: m.key || null, value: m.value })),
          });
        }
      } catch (err) {
        throw new SinkUnreachable(
          `cannot deliver to ${where} (${brief(err)}): check that the topic exists (--topic or KAFKA_TOPIC) ` +
            'and the broker is up (--brokers or KAFKA_BROKERS)',
        );
      }
      return { accepted: batch.length, rejected: [] };
    },
    async close() {
      await producer?.disconnect();
    },
  };
}

export function httpSink(opts: { url: string; token: string }): ShipSink {
  const endpoint = new URL('/api/v1/ingest', opts.url).toString();
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return {
    describe: endpoint,
    async connect() {},
    async send(batch, idempotencyKey) {
      let res: Response;
      try {
        res = await fetch(endpoint, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': idempotencyKey },
          body: `${batch.map((m) => m.value).join('\n')}\n`,
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new SinkUnreachable(
          `cannot reach errorscope at ${opts.url} (${cause?.code ?? cause?.message ?? (err as Error).message}): ` +
            'is `errorscope start` running there? Point ship at it with --url or ERRORSCOPE_URL',
        );
      }
      const text = await res.text();
      if (res.status === 401)
        throw new SinkUnreachable(`errorscope at ${opts.url} refused the token (401): set --token or ERRORSCOPE_TOKEN`);
      if (!res.ok) throw new SinkUnreachable(`errorscope at ${opts.url} answered ${res.status}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text) as {
        accepted: number;
        rejected: { line: number; reason: string }[];
        beyond_retention?: BeyondRetention;
      };
      return {
        accepted: body.accepted,
        rejected: body.rejected.map((r) => ({ index: r.line - 1, reason: r.reason })),
        ...(body.beyond_retention ? { beyondRetention: body.beyond_retention } : {}),
      };
    },
    async close() {},
  };
}
