// The one configuration schema. Parsed once in the CLI entry point (flags override environment),
// then passed down typed. Nothing else in errorscope reads process.env.
import { z } from 'zod';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes' || v === 'on');

const csv = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(1)));

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)');

/** Every environment variable errorscope reads, with its default. Documented in README.md. */
const envSchema = z.object({
  // ClickHouse: a server URL, or the embedded chDB engine at CHDB_PATH when unset.
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().default('default'),
  CLICKHOUSE_PASSWORD: z.string().default(''),
  CLICKHOUSE_DATABASE: identifier.default('errorscope'),
  /** `ON CLUSTER` name for scaled deployments (see docs/scaling.md); empty for a single node. */
  CLICKHOUSE_CLUSTER: z.string().default(''),
  CHDB_PATH: z.string().min(1).default('./data'),
  RAW_TTL_DAYS: z.coerce.number().int().positive().max(3650).optional(),

  // Kafka
  KAFKA_BROKERS: csv.optional(),
  KAFKA_TOPIC: z.string().min(1).default('llm-calls'),
  KAFKA_DLQ_TOPIC: z.string().min(1).default('llm-calls-dlq'),
  KAFKA_GROUP_ID: z.string().min(1).default('errorscope-ingest'),
  KAFKA_CLIENT_ID: z.string().min(1).default('errorscope'),
  INGEST_MAX_MESSAGE_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /** What a message of KAFKA_TOPIC holds: an envelope, or an OTLP export request (Collector kafka exporter). */
  INGEST_FORMAT: z.enum(['envelope', 'otlp_proto', 'otlp_json']).default('envelope'),
  /**
   * A segment (one insert block of one partition) spans fetches while the partition has a backlog; it
   * is inserted when it holds INGEST_SEGMENT_MAX messages, has been open INGEST_SEGMENT_MAX_MS, or the
   * consumer caught up, and every open segment is inserted once they hold ~INGEST_SEGMENT_MAX_BYTES
   * together (the failed calls' insert body in UTF-8 bytes, plus ~600 bytes a rollup group). Bigger
   * segments amortize each insert's fixed cost (the engine's ~90 ms per segment): bench ingest, live,
   * 1M messages, CPU per message 29.9 us at 20k, 19.7 at 100k. The byte budget bounds backfills, whose
   * calls barely aggregate (8 MiB per partition measured 16.5k msgs/s and 764 MB peak RSS, 16 MiB 19.7k
   * and 1006 MB, 4 MiB 13.6k and 649 MB).
   */
  INGEST_SEGMENT_MAX: z.coerce.number().int().positive().max(1_000_000).default(100_000),
  INGEST_SEGMENT_MAX_MS: z.coerce.number().int().min(0).max(600_000).default(5_000),
  INGEST_SEGMENT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(4 * 1024 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  /**
   * Kafka fetch sizes of the ingest worker: one partition's part of a fetch, and one fetch across
   * partitions. A segment spans fetches, so these bound only the fetched bytes held at once: 512 KiB
   * per partition measured the same CPU per message as 4 MiB (18.3 vs 20.8 us, live) at ~110 MB
   * less peak RSS. A message larger than them is still fetched whole (one at a time).
   */
  INGEST_FETCH_MAX_BYTES_PER_PARTITION: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(256 * 1024 * 1024)
    .default(512 * 1024),
  INGEST_FETCH_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(65_536)
    .max(1024 * 1024 * 1024)
    .default(16 * 1024 * 1024),
  /**
   * Classify threads of the ingest worker (0: classify on its main thread). Each owns the open
   * segments of some partitions (partition mod threads); the main thread fetches, cuts segments,
   * inserts and commits. bench ingest (live, 1M messages, 4 partitions, two cores shared with the
   * embedded engine and the broker): 1 thread with INGEST_CONCURRENCY 4 ingests ~1.2-1.45x the
   * messages per second of 0 threads with 1, at ~60-110 MB more peak RSS (docs/scaling.md).
   */
  INGEST_THREADS: z.coerce.number().int().min(0).max(64).default(1),
  /**
   * Partition batches the ingest worker processes at once (kafkajs partitionsConsumedConcurrently),
   * so some are classified while a segment of another is inserted (segments land one at a time).
   * Default: 4 with classify threads, 1 without (classifying on the main thread, more batches at
   * once measured no faster and ~50-100 MB more peak RSS).
   */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).optional(),
  /** Consumer group session timeout: how soon a crashed worker's partitions move to the others. */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),

  // HTTP API
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Comma-separated bearer tokens; required on a non-loopback HOST unless ALLOW_NO_AUTH=true. */
  API_TOKENS: csv.default([]),
  ALLOW_NO_AUTH: bool.default(false),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  // OTLP in (POST /v1/logs, /v1/traces): the span/log (then resource) attributes naming key and tenant.
  OTLP_KEY_ATTRIBUTE: z.string().min(1).default('errorscope.api_key'),
  OTLP_TENANT_ATTRIBUTE: z.string().min(1).default('service.name'),

  // Clients of a running errorscope (`ship`, `demo` into HTTP)
  ERRORSCOPE_URL: z.url().default('http://127.0.0.1:8080'),
  ERRORSCOPE_TOKEN: z.string().default(''),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: one readable line per event when stdout is a terminal, JSON lines otherwise. */
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
});

export type Config = z.infer<typeof envSchema>;

/** Names of every variable the schema knows (used by docs and the docker-compose check). */
export const CONFIG_KEYS = Object.keys(envSchema.shape) as (keyof Config)[];

/**
 * The flag that sets each variable on the commands that have one: when a value came from a flag, its
 * error names the flag as typed (`--port 99999`), not the variable behind it.
 */
const CONFIG_FLAGS: Partial<Record<keyof Config, string>> = {
  HOST: '--host',
  PORT: '--port',
  KAFKA_BROKERS: '--brokers',
  KAFKA_TOPIC: '--topic',
  KAFKA_GROUP_ID: '--group',
  KAFKA_DLQ_TOPIC: '--dlq-topic',
  METRICS_PORT: '--metrics-port',
  CHDB_PATH: '--data',
  CLICKHOUSE_DATABASE: '--database',
  ERRORSCOPE_URL: '--url',
  ERRORSCOPE_TOKEN: '--token',
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment (plus overrides from flags, already mapped to variable names).
 * Empty strings count as unset. Errors name every offending variable.
 */
export function parseConfig(env: Record<string, string | undefined>, overrides: Record<string, string> = {}): Config {
  const input: Record<string, string> = {};
  for (const key of CONFIG_KEYS) {
    const v = overrides[key] ?? env[key];
    if (v !== undefined && v !== '') input[key] = v;
  }
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const describe = (key: string): string => {
      const flag = key in overrides ? CONFIG_FLAGS[key as keyof Config] : undefined;
      if (!flag) return key || '(config)';
      return key === 'ERRORSCOPE_TOKEN' ? flag : `${flag} ${overrides[key]}`;
    };
    const lines = parsed.error.issues.map((i) => `${describe(i.path.join('.'))}: ${i.message}`);
    if (lines.length === 1) throw new ConfigError(lines[0] as string);
    throw new ConfigError(`invalid configuration:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
  return parsed.data;
}
