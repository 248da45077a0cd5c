// The Kafka clients an integration test file keeps for its whole run: connected in beforeAll,
// disconnected in afterAll (after the file has stopped its own workers).
import { type Admin, type Kafka, Partitioners, type Producer, type ProducerConfig } from 'kafkajs';
import { testKafka } from './kafka.js';

export interface KafkaClients {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
}

/** A connected admin and producer (default partitioner, plus `producer` options) on the test broker. */
export async function connectKafka(producer: ProducerConfig = {}): Promise<KafkaClients> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...producer });
  await p.connect();
  return { kafka, admin, producer: p };
}

/** Disconnects what `connectKafka` connected; safe when beforeAll failed half-way (undefined). */
export async function disconnectKafka(c: Partial<KafkaClients>): Promise<void> {
  await c.producer?.disconnect();
  await c.admin?.disconnect();
}
