// Deterministic test traffic for the ingest tests: valid calls (ok, known errors, unknown codes) mixed
// with poison (not JSON, not an object, wrong field types, oversized, tombstones), plus the checks that
// every message is accounted for exactly once in ClickHouse.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Producer } from 'kafkajs';
import { expect } from 'vitest';
import { classifyBatch } from '../../services/core/index.js';
import { clickhouseQuerier } from '../../services/store/querier.js';
import { type StoredTotals, storedTotals } from '../../services/store/stats.js';

export const TEST_MAX_BYTES = 4096;

export function makeMessage(i: number, now: number): string | null {
  const ts = new Date(now - (i % 2000) * 61_000).toISOString();
  const key_id = `key-${i % 7}`;
  switch (i % 10) {
    case 6:
      return JSON.stringify({
        ts,
        provider: 'openai',
        model: 'gpt-4o',
        key_id,
        status: 429,
        body: { error: { message: 'Rate limit reached for gpt-4o', type: 'requests', code: 'rate_limit_exceeded' } },
      });
    case 7:
      return JSON.stringify({
        ts,
        provider: 'anthropic',
        model: 'claude-sonnet-4',
        key_id,
        status: 400,
        body: { type: 'error', error: { type: `brand_new_error_${i % 3}`, message: 'something new' } },
      });
    case 8:
      switch (Math.floor(i / 10) % 6) {
        case 0:
          return `not json {${i}`;
        case 1:
          return `[${i}, 2, 3]`;
        case 2:
          return JSON.stringify({ ts, provider: 'openai', status: 'banana' });
        case 3:
          return JSON.stringify({ provider: 'openai', status: 200, pad: 'x'.repeat(TEST_MAX_BYTES) });
        case 4:
          return null;
        default:
          return `"just a string ${i}"`;
      }
    case 9:
      return JSON.stringify({
        ts,
        provider: 'anthropic',
        model: 'claude-opus-4',
        key_id,
        status: 529,
        body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
      });
    default:
      return JSON.stringify({
        ts,
        provider: 'openai',
        model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini',
        key_id,
        status: 200,
        latency_ms: 100 + (i % 900),
        usage: { prompt_tokens: 10, completion_tokens: i % 50, total_tokens: 10 + (i % 50) },
      });
  }
}

export interface Expected {
  total: number;
  rows: number;
  poison: number;
  /** Failed calls, and calls that reported a latency, among the rows. */
  errors: number;
  latencies: number;
}

/** What the classifier makes of messages [from, to): the oracle the counts are checked against. */
export function expectedFor(from: number, to: number, now: number): Expected {
  const inputs = [];
  for (let i = from; i < to; i++) {
    inputs.push({
      value: makeMessage(i, now),
      fallbackTs: now,
      transport: { src: 'kafka' as const, kafka_topic: '', kafka_partition: 0, kafka_offset: i },
    });
  }
  const { rows, rejected } = classifyBatch(inputs, { maxBytes: TEST_MAX_BYTES });
  return {
    total: to - from,
    rows: rows.length,
    poison: rejected.length,
    errors: rows.filter((r) => r.category !== 'ok').length,
    latencies: rows.filter((r) => r.latency_ms !== null).length,
  };
}

/** Produces messages [from, to) in sends of `chunk`, keys spreading them over the partitions. */
export async function produceRange(
  producer: Producer,
  topic: string,
  from: number,
  to: number,
  now: number,
  chunk = 500,
): Promise<void> {
  for (let start = from; start < to; start += chunk) {
    const messages = [];
    for (let i = start; i < Math.min(to, start + chunk); i++)
      messages.push({ key: `m${i}`, value: makeMessage(i, now) });
    await producer.send({ topic, acks: -1, messages });
  }
}

export type Counts = StoredTotals;

/** The store's totals (services/store/stats.ts): rollups over all topics, raw errors of `topic`. */
export async function counts(client: ClickHouseClient, db: string, topic: string): Promise<Counts> {
  return storedTotals(clickhouseQuerier(client, { database: db }), topic);
}

/** Every row exactly once: rollups agree with each other and with the raw table, no duplicate offsets. */
export function expectExact(c: Counts, exp: Expected, deadLetters: number): void {
  expect(c.rows1m + deadLetters).toBe(exp.total);
  expect(c.rows1m).toBe(exp.rows);
  expect(deadLetters).toBe(exp.poison);
  expect(c.rows1h).toBe(c.rows1m);
  expect(c.rows1d).toBe(c.rows1m);
  expect(c.errorsDistinct).toBe(c.errorsRaw);
  expect(c.errors1m).toBe(c.errorsRaw);
  expect(c.errors1h).toBe(c.errorsRaw);
  expect(c.errors1d).toBe(c.errorsRaw);
  expect(c.errorsRaw).toBeGreaterThan(0);
  // The pre-aggregated latency histograms count every latency once, in every resolution.
  expect(c.errorsRaw).toBe(exp.errors);
  expect(c.latency1m).toBe(exp.latencies);
  expect(c.hist1m).toBe(c.latency1m);
  expect(c.hist1d).toBe(c.latency1m);
}
