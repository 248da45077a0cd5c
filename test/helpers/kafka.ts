// Helpers for integration tests against the real Kafka broker found by test/helpers/global-setup.ts.
import { randomBytes } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { describe, inject } from 'vitest';

/** Bootstrap brokers, or [] when the Kafka tests are skipped (no Java outside CI). */
export const kafkaBrokers: string[] = inject('kafkaBrokers') ?? [];

/** `describe` for suites that need the broker: skipped (loudly, by global-setup) when there is none. */
export const describeKafka = kafkaBrokers.length > 0 ? describe : describe.skip;

/** A fresh name (topic, group) unique to this run. */
export function fresh(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export function testKafka(clientId = 'errorscope-test'): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers, logLevel: logLevel.NOTHING });
}

export async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<void> {
  // kafkajs' waitForLeaders retries only LEADER_NOT_AVAILABLE; a loaded broker first answers
  // UNKNOWN_TOPIC_OR_PARTITION for a just-created topic, which failed tests at random. Poll instead.
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: false });
  await waitFor(`leaders for ${topic}`, async () => {
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = topics[0]?.partitions ?? [];
      return parts.length === numPartitions && parts.every((p) => p.leader >= 0);
    } catch {
      return false;
    }
  });
}

/** Committed offsets of a group on a topic, by partition (-1 when nothing committed). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out = new Map<number, number>();
  for (const p of res[0]?.partitions ?? []) out.set(p.partition, Number(p.offset));
  return out;
}

/** Sum over partitions of the end offsets (high watermarks) of a topic. */
export async function topicEnd(admin: Admin, topic: string): Promise<Map<number, number>> {
  const res = await admin.fetchTopicOffsets(topic);
  return new Map(res.map((p) => [p.partition, Number(p.high)]));
}

/** True when the group committed every partition up to the topic's end. */
export async function caughtUp(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const [end, committed] = await Promise.all([topicEnd(admin, topic), committedOffsets(admin, groupId, topic)]);
  for (const [p, high] of end) if (high > 0 && committed.get(p) !== high) return false;
  return true;
}

/** Waits for a condition with a bounded poll (never a fixed sleep). */
export async function waitFor(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Dead letters on a DLQ topic, read from the beginning by a throwaway group, keyed by partition:offset. */
export async function readDeadLetters(
  kafka: Kafka,
  dlqTopic: string,
  expectedDistinct: number,
  timeoutMs = 60_000,
): Promise<Map<string, { reason: string; value: string }>> {
  const seen = new Map<string, { reason: string; value: string }>();
  const consumer = kafka.consumer({ groupId: fresh('dlq-reader') });
  await consumer.connect();
  await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const h = (k: string) => message.headers?.[k]?.toString() ?? '';
      seen.set(`${h('errorscope-partition')}:${h('errorscope-offset')}`, {
        reason: h('errorscope-reason'),
        value: message.value?.toString() ?? '',
      });
    },
  });
  try {
    await waitFor(
      `${expectedDistinct} distinct dead letters on ${dlqTopic}`,
      () => seen.size >= expectedDistinct,
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
  return seen;
}
