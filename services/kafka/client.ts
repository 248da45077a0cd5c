// kafkajs wiring: one Kafka instance per process, its logs through pino, topics ensured via the admin API.
import { type Admin, Kafka, type KafkaConfig, logLevel, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';

export const DEFAULT_BROKERS = ['127.0.0.1:9092'];

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  cfg: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  log: Logger,
  extra: Partial<KafkaConfig> = {},
): Kafka {
  const klog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: cfg.KAFKA_CLIENT_ID,
    brokers: cfg.KAFKA_BROKERS ?? DEFAULT_BROKERS,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        klog[levels[level] ?? 'info'](rest, message);
      },
    ...extra,
  });
}

/** Connection-level retries: exponential from 300 ms, capped at 30 s. */
export const CONNECTION_RETRY: RetryOptions = {
  initialRetryTime: 300,
  maxRetryTime: 30_000,
  retries: 10,
  multiplier: 2,
  factor: 0.2,
};

/** Creates the topic when it is missing (KAFKA brokers may run with auto creation off). */
export async function ensureTopic(admin: Admin, topic: string, numPartitions: number): Promise<boolean> {
  const existing = await admin.listTopics();
  if (existing.includes(topic)) return false;
  try {
    return await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true });
  } catch (err) {
    // Another worker created it between the two calls.
    if ((err as { type?: string }).type === 'TOPIC_ALREADY_EXISTS') return false;
    throw err;
  }
}
