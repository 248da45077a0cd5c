// What the long-running commands do at start-up and at shutdown, written once: the logger (one list of
// the names secrets go by, removed wherever they sit in a line), opening the store, the open-API refusal, waiting for a stop signal, launching the Kafka worker,
// choosing where `ship` and `demo` send, and saying why a run failed. The heavy modules (ClickHouse,
// kafkajs, fastify) are imported when a helper runs, so loading a command stays cheap.
//
// The logger writes JSON lines for machines (the default when stdout is not a terminal, or with
// LOG_FORMAT=json), one readable line per event for a person at a terminal (LOG_FORMAT=pretty, or auto
// on a TTY). Pretty printing runs in-process (pino-pretty as a stream, no worker thread), with the local
// time of day, and never prints a redacted field.
import type { ClickHouseClient } from '@clickhouse/client';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config.js';
import { scrubSecrets } from '../core/fingerprint.js';
import type { KafkaIngest, LaunchOptions } from '../ingest/launch.js';
import type { CallInserter } from '../store/calls.js';
import type { DeadLetterInserter } from '../store/dead-letters.js';
import { type CommandIo, UsageError } from './command.js';
import { httpSink, kafkaSink, type ShipSink } from './ship-sinks.js';

/** Request headers that carry a credential (the providers' and ours). */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie'];
/**
 * Fields that may hold a credential: an envelope's api_key, a gateway log row's authorization columns
 * (`ship --from new-api|access-log`), and the configuration's tokens and password.
 */
const SECRET_FIELDS = [
  'api_key',
  'apiKey',
  'authorization',
  'http_authorization',
  'x_api_key',
  'token',
  'password',
  'API_TOKENS',
  'ERRORSCOPE_TOKEN',
  'CLICKHOUSE_PASSWORD',
];

/** Every name a credential goes by in a log line, lower-cased (header names and field names). */
export const SECRET_KEYS: ReadonlySet<string> = new Set(
  [...SECRET_HEADERS, ...SECRET_FIELDS].map((k) => k.toLowerCase()),
);

/**
 * What pino redacts in the objects its serializers produce (fastify's `req`, which carries the headers
 * when a serializer includes them) and in a child logger's bindings: a request's credential headers, and
 * every secret field at the top of a line. Static paths only: fast-redact's wildcard paths cost about 5x
 * per line; redactSecretFields covers the depths.
 */
export const REDACT: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `req.headers["${h}"]`]),
];

/** How deep into the plain objects and arrays of a line secrets are looked for. */
const SCRUB_DEPTH = 4;

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function scrub(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > SCRUB_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const s = scrub(value[i], depth + 1);
      if (s !== value[i]) {
        copy ??= value.slice();
        copy[i] = s;
      }
    }
    return copy ?? value;
  }
  // Class instances (errors, requests, buffers) are left to their serializers and REDACT.
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    const v = value[key];
    const s = SECRET_KEYS.has(key.toLowerCase()) ? (v === undefined ? v : '[Redacted]') : scrub(v, depth + 1);
    if (s !== v) {
      copy ??= { ...value };
      copy[key] = s;
    }
  }
  return copy ?? value;
}

/**
 * A secret key anywhere in the plain objects and arrays of a line (`{ envelope: { api_key } }`,
 * `{ config: { API_TOKENS } }`, a gateway row's `authorization`) has its value replaced by
 * '[Redacted]'. The object logged is never changed: what holds a secret is copied.
 */
export function redactSecretFields<T extends object>(obj: T): T {
  return scrub(obj, 0) as T;
}

/** A log call's string arguments (its message and format arguments) through the text scrubber. */
function scrubMessages<A extends unknown[]>(args: A): A {
  let copy: unknown[] | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (typeof a !== 'string') continue;
    const s = scrubSecrets(a);
    if (s !== a) {
      copy ??= [...args];
      copy[i] = s;
    }
  }
  return (copy ?? args) as A;
}

/** Fastify's request fields, with the URL scrubbed of keys. */
function requestLine(req: {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}) {
  return {
    method: req.method,
    url: typeof req.url === 'string' ? scrubSecrets(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function usePretty(format: Config['LOG_FORMAT'], stdoutIsTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

export interface CreateLoggerOptions {
  svc?: string;
  /** Where lines go (tests); default stdout. */
  destination?: DestinationStream & NodeJS.WritableStream;
  /** Whether stdout is a terminal; default process.stdout.isTTY. */
  isTty?: boolean;
}

export function createLogger(cfg: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, opts: CreateLoggerOptions = {}): Logger {
  const base = opts.svc ? { svc: opts.svc } : {};
  const options: LoggerOptions = {
    level: cfg.LOG_LEVEL,
    base,
    redact: [...REDACT],
    formatters: { log: redactSecretFields },
    // A request's URL may carry a key in its query string (`?key=sk-...`, a raw key pasted as a filter):
    // logged through the text scrubber, which replaces it by its fingerprint.
    serializers: { req: requestLine },
    // A message is text too (fastify's own "Route GET:/... not found" quotes the URL).
    hooks: {
      logMethod(args, method) {
        method.apply(this, scrubMessages(args));
      },
    },
  };
  if (!usePretty(cfg.LOG_FORMAT, opts.isTty ?? process.stdout.isTTY === true)) {
    return opts.destination ? pino(options, opts.destination) : pino(options);
  }
  // For a person, a line per request is noise (the overview page polls every 30 s): on a terminal only
  // the requests that failed are logged, as one line when they complete.
  const quietRequests: LoggerOptions['hooks'] = {
    logMethod(args, method) {
      const [first, msg] = args as unknown as [Record<string, unknown> | string, string | undefined];
      if (msg === 'incoming request') return;
      if (msg === 'request completed' && typeof first === 'object') {
        const status = (first.res as { statusCode?: number } | undefined)?.statusCode ?? 0;
        if (status < 400) return;
      }
      method.apply(this, scrubMessages(args));
    },
  };
  const stream = pretty({
    destination: opts.destination ?? 1,
    colorize: opts.destination ? false : process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss',
    ignore: 'pid,hostname,svc',
    sync: true,
  });
  return pino({ ...options, hooks: quietRequests }, stream);
}

export interface StoreSession {
  client: ClickHouseClient;
  calls: CallInserter;
  deadLetters: DeadLetterInserter;
  /** Migration files applied by this open (empty when the schema was current or migrate was off). */
  applied: string[];
  close(): Promise<void>;
}

/**
 * Opens the store for a command: the client (a server or the embedded engine), the schema migrations
 * applied (unless `migrate: false`; logged when any was), and the write interfaces.
 */
export async function openStore(config: Config, opts: { migrate?: boolean; log?: Logger } = {}): Promise<StoreSession> {
  const { createStoreClient } = await import('../store/clickhouse.js');
  const { clickhouseInserter } = await import('../store/calls.js');
  const { clickhouseDeadLetters } = await import('../store/dead-letters.js');
  const client = await createStoreClient(config);
  try {
    let applied: string[] = [];
    if (opts.migrate !== false) {
      const { migrate } = await import('../store/migrate.js');
      applied = (await migrate(client, config)).applied;
      if (applied.length > 0) opts.log?.info({ applied }, 'schema migrations applied');
    }
    return {
      client,
      calls: clickhouseInserter(client, config.CLICKHOUSE_DATABASE),
      deadLetters: clickhouseDeadLetters(client, config.CLICKHOUSE_DATABASE),
      applied,
      close: () => client.close(),
    };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** Refuses to serve an open API on a reachable address (a usage error: exit 2, before anything is opened). */
export async function checkAuthPolicy(config: Config): Promise<void> {
  const { ApiConfigError, checkAuthPolicy: check } = await import('../api/app.js');
  try {
    check(config);
  } catch (err) {
    if (err instanceof ApiConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export interface StopSignal {
  /** Settles with the first SIGINT or SIGTERM. */
  received: Promise<NodeJS.Signals>;
  /** Stops listening (a command run in-process must not leave its listeners behind). */
  dispose(): void;
}

/** SIGINT or SIGTERM: the one way every command is asked to stop. */
export function stopSignal(): StopSignal {
  const handlers: [NodeJS.Signals, () => void][] = [];
  const received = new Promise<NodeJS.Signals>((resolve) => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const handler = () => resolve(sig);
      handlers.push([sig, handler]);
      process.once(sig, handler);
    }
  });
  return {
    received,
    dispose() {
      for (const [sig, handler] of handlers) process.off(sig, handler);
    },
  };
}

/** Starts the Kafka -> ClickHouse worker (health and metrics at once, the consumer in the background). */
export async function launchWorker(
  config: Config,
  client: ClickHouseClient,
  log: Logger,
  opts: LaunchOptions,
): Promise<KafkaIngest> {
  const { launchKafkaIngest } = await import('../ingest/launch.js');
  return launchKafkaIngest(config, client, log, opts);
}

/**
 * Where `ship` and `demo` send: the Kafka topic, or a running errorscope's HTTP ingest endpoint.
 * Default: Kafka when brokers are configured, else HTTP.
 */
export function openSink(config: Config, to: 'kafka' | 'http' | undefined): ShipSink {
  const dest = to ?? (config.KAFKA_BROKERS?.length ? 'kafka' : 'http');
  if (dest === 'kafka' && !config.KAFKA_BROKERS?.length) {
    throw new UsageError('--to kafka needs brokers (--brokers or KAFKA_BROKERS)');
  }
  return dest === 'kafka'
    ? kafkaSink({ brokers: config.KAFKA_BROKERS ?? [], topic: config.KAFKA_TOPIC, clientId: config.KAFKA_CLIENT_ID })
    : httpSink({ url: config.ERRORSCOPE_URL, token: config.ERRORSCOPE_TOKEN });
}

/**
 * A run that failed after start-up, logged and said on stderr; exit code 1. When the command talks to
 * Kafka (`kafka`: its configuration), an unreachable broker is said in one line with what to check
 * instead of a client stack.
 */
export async function runFailed(
  io: Pick<CommandIo, 'stderr'>,
  name: string,
  log: Logger,
  err: unknown,
  what: string,
  opts: { kafka?: Pick<Config, 'KAFKA_BROKERS'> } = {},
): Promise<number> {
  if (opts.kafka) {
    const { brokerUnreachable, DEFAULT_BROKERS } = await import('../kafka/client.js');
    const unreachable = brokerUnreachable(err, opts.kafka.KAFKA_BROKERS ?? DEFAULT_BROKERS);
    if (unreachable) {
      log.error(unreachable);
      io.stderr.write(`errorscope ${name}: ${unreachable}\n`);
      return 1;
    }
  }
  log.error({ err }, what);
  io.stderr.write(`errorscope ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
