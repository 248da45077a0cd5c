// Transport metadata for calls that did not come through Kafka (HTTP ingest, OTLP, demo backfill, seeders).
import type { Transport } from './calls.js';

export function nonKafkaTransport(src: 'http' | 'backfill'): Transport {
  return { src, kafka_topic: '', kafka_partition: -1, kafka_offset: -1 };
}
