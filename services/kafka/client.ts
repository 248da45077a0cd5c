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
        // kafkajs's stack is its socket's, the same on every retry: the message and code say it all.
        const { message, stack: _stack, ...rest } = entry;
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

const SOCKET_CODES = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)\b/;

/**
 * One line for a broker that cannot be reached (refused, unknown host, timed out), with what to
 * check; null for any other error. kafkajs wraps the socket error in retry errors, so the chain of
 * causes and the message are both searched.
 */
export function brokerUnreachable(err: unknown, brokers: readonly string[]): string | null {
  let code: string | undefined;
  let connection = false;
  for (let e = err as { name?: string; message?: string; cause?: unknown; code?: string } | undefined; e; ) {
    code ??= e.code && SOCKET_CODES.test(e.code) ? e.code : SOCKET_CODES.exec(e.message ?? '')?.[1];
    if (e.name === 'KafkaJSConnectionError' || /Connection (error|timeout)/i.test(e.message ?? '')) connection = true;
    e = e.cause as typeof e;
  }
  if (!code && !connection) return null;
  return (
    `cannot reach the Kafka broker at ${brokers.join(',')} (${code ?? 'connection failed'}): check that the ` +
    'broker is running and that this address is the one it advertises (--brokers or KAFKA_BROKERS)'
  );
}
