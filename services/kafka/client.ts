// kafkajs wiring: one Kafka instance per process, its logs through pino, topics ensured via the admin API.
import { type Admin, type ConfigResourceTypes, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
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

/** Room on the dead-letter topic for the headers a dead letter carries on top of the original message. */
export const DLQ_HEADER_ROOM = 16 * 1024;
const MAX_MESSAGE_BYTES = 'max.message.bytes';
// kafkajs's ConfigResourceTypes.TOPIC; the enum is not a named export Node's ESM loader finds in kafkajs.
const TOPIC = 2 as ConfigResourceTypes;

/** Overrides of a topic's configuration (values set on the topic itself, not inherited). */
async function topicOverrides(admin: Admin, topic: string): Promise<Map<string, string>> {
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC, name: topic }],
  });
  const out = new Map<string, string>();
  for (const e of res.resources[0]?.configEntries ?? []) {
    // configSource 1 = DYNAMIC_TOPIC_CONFIG: set on this topic.
    if (!e.isDefault && !e.readOnly && e.configSource === 1) out.set(e.configName, e.configValue);
  }
  return out;
}

/** A topic's effective max.message.bytes (its own override, else the broker's default). */
export async function topicMaxMessageBytes(admin: Admin, topic: string): Promise<number> {
  const res = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: TOPIC, name: topic, configNames: [MAX_MESSAGE_BYTES] }],
  });
  const r = res.resources[0];
  if (r && r.errorCode !== 0) throw new Error(`cannot read the configuration of topic ${topic}: ${r.errorMessage}`);
  const v = Number(r?.configEntries.find((e) => e.configName === MAX_MESSAGE_BYTES)?.configValue);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`topic ${topic} reports no usable ${MAX_MESSAGE_BYTES}`);
  return v;
}

export interface DeadLetterTopicLimits {
  /** max.message.bytes of the source topic (0: could not be read). */
  source: number;
  /** max.message.bytes of the dead-letter topic after this call (0: unknown). */
  dlq: number;
  created: boolean;
  raised: boolean;
}

/**
 * Makes the dead-letter topic able to take a copy of any message of the source topic: created (when
 * missing) with max.message.bytes = the source's + DLQ_HEADER_ROOM, or raised to that when it exists
 * with less (the other overrides of the topic are kept: AlterConfigs replaces them all). When it cannot
 * be raised (no permission), the worker still never blocks: refused copies go out truncated.
 */
export async function ensureDeadLetterTopic(
  admin: Admin,
  dlqTopic: string,
  sourceTopic: string,
  log?: Logger,
): Promise<DeadLetterTopicLimits> {
  const topics = await admin.listTopics();
  if (!topics.includes(sourceTopic)) {
    throw new Error(`topic ${sourceTopic} does not exist (create it, or start with --create-topics N)`);
  }
  let source: number;
  try {
    source = await topicMaxMessageBytes(admin, sourceTopic);
  } catch (err) {
    // No right to describe configs (a locked-down cluster): the limits stay as they are, and refused
    // copies go out truncated. Not a reason to stop ingesting.
    log?.warn({ err, sourceTopic }, 'cannot read the source topic limits; the dead-letter topic keeps its own');
    if (!topics.includes(dlqTopic)) await ensureTopic(admin, dlqTopic, 1);
    return { source: 0, dlq: 0, created: !topics.includes(dlqTopic), raised: false };
  }
  const wanted = source + DLQ_HEADER_ROOM;
  if (!topics.includes(dlqTopic)) {
    try {
      await admin.createTopics({
        topics: [
          { topic: dlqTopic, numPartitions: 1, configEntries: [{ name: MAX_MESSAGE_BYTES, value: String(wanted) }] },
        ],
        waitForLeaders: true,
      });
      return { source, dlq: wanted, created: true, raised: false };
    } catch (err) {
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }
  const current = await topicMaxMessageBytes(admin, dlqTopic);
  if (current >= wanted) return { source, dlq: current, created: false, raised: false };
  try {
    const overrides = await topicOverrides(admin, dlqTopic);
    overrides.set(MAX_MESSAGE_BYTES, String(wanted));
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: TOPIC,
          name: dlqTopic,
          configEntries: [...overrides].map(([name, value]) => ({ name, value })),
        },
      ],
    });
    log?.info({ dlqTopic, from: current, to: wanted, source }, 'raised the dead-letter topic max.message.bytes');
    return { source, dlq: wanted, created: false, raised: true };
  } catch (err) {
    log?.warn(
      { err, dlqTopic, dlqMaxMessageBytes: current, sourceMaxMessageBytes: source },
      'the dead-letter topic takes smaller messages than the source and cannot be raised; too large copies will be truncated',
    );
    return { source, dlq: current, created: false, raised: false };
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
