// `errorscope start`: everything in one process on the embedded default. Migrates the store, serves
// the query API with the HTTP ingest endpoint, consumes Kafka when brokers are configured, and with
// --demo fills the store with a day of history and keeps generating live traffic.
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { KafkaIngest } from '../../ingest/launch.js';
import { clickhouseQuerier } from '../../store/querier.js';
import { countCalls } from '../../store/stats.js';
import {
  checkAuthPolicy,
  createLogger,
  launchWorker,
  openStore,
  runFailed,
  type StopSignal,
  type StoreSession,
  stopSignal,
} from '../boot.js';
import { defineCommand, UsageError } from '../command.js';

const HELP = `usage: errorscope start [options]

One process: applies the schema migrations (embedded ClickHouse at CHDB_PATH, default ./data, or
CLICKHOUSE_URL), serves the query API and POST /api/v1/ingest (NDJSON envelopes, answered once
stored), and ingests from Kafka when KAFKA_BROKERS is set. Data survives a restart. Stops cleanly on
SIGINT/SIGTERM (the Kafka batch in flight is finished and committed first).

options:
  --demo            generate demo traffic in-process: a day of history on first start (skipped when
                    the store already holds calls), then live calls with a 1310 surge on two keys
  --demo-rate N     live demo calls per second at the daily peak (default 5)
  --host H          listen address (HOST, default 127.0.0.1)
  --port P          listen port (PORT, default 8080)
  --brokers LIST    Kafka brokers (KAFKA_BROKERS); unset: HTTP ingest only. An unreachable broker or a
                    missing topic never stops the API or HTTP ingest: Kafka ingest retries with
                    back-off and /ready says why it is not consuming (503)
  --create-topics N create the Kafka source topic with N partitions if missing
  --data DIR        embedded ClickHouse data directory (CHDB_PATH, default ./data)
  -h, --help        this help

Then open http://HOST:PORT/ (the overview page), /docs (the API), /api/v1/surges?codes=1310&by=key.
`;

interface StartOptions {
  demo: boolean;
  demoRate: number;
  /** --create-topics N: partitions of the source topic when it is created; 0: not created. */
  createPartitions: number;
  overrides: Record<string, string>;
}

export function parseStartArgs(args: string[]): StartOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        demo: { type: 'boolean', default: false },
        'demo-rate': { type: 'string', default: '5' },
        host: { type: 'string' },
        port: { type: 'string' },
        brokers: { type: 'string' },
        data: { type: 'string' },
        'create-topics': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const demoRate = Number(values['demo-rate']);
  if (!Number.isFinite(demoRate) || demoRate <= 0 || demoRate > 10_000) {
    throw new UsageError('--demo-rate must be a number above 0 and at most 10000');
  }
  const topics = values['create-topics'];
  if (topics !== undefined && (typeof topics !== 'string' || !/^[1-9]\d{0,3}$/.test(topics))) {
    throw new UsageError('--create-topics must be a whole number of partitions from 1 to 9999');
  }
  const overrides: Record<string, string> = {};
  if (typeof values.host === 'string') overrides.HOST = values.host;
  if (typeof values.port === 'string') overrides.PORT = values.port;
  if (typeof values.brokers === 'string') overrides.KAFKA_BROKERS = values.brokers;
  if (typeof values.data === 'string') overrides.CHDB_PATH = values.data;
  return { demo: values.demo === true, demoRate, createPartitions: topics ? Number(topics) : 0, overrides };
}

export const command = defineCommand({
  name: 'start',
  summary: 'migrate, serve the API, ingest over HTTP (and Kafka when configured); --demo for traffic',
  help: HELP,
  parse: parseStartArgs,
  async run(opts, config, io) {
    await checkAuthPolicy(config);
    const log = createLogger(config, { svc: 'start' });
    const { startServer } = await import('../../api/server.js');
    const { TAXONOMY } = await import('../../core/index.js');

    let store: StoreSession;
    try {
      store = await openStore(config, { log });
    } catch (err) {
      io.stderr.write(`errorscope start: cannot open the store: ${(err as Error).message}\n`);
      return 1;
    }

    const stops: (() => Promise<void>)[] = [];
    const demoAbort = new AbortController();
    let demoDone: Promise<unknown> = Promise.resolve();
    let signals: StopSignal | undefined;
    try {
      // Kafka ingest first (it returns at once and keeps trying in the background), so /ready can say
      // how it is doing from the first request.
      let kafka: KafkaIngest | undefined;
      if (config.KAFKA_BROKERS?.length) {
        const launched = await launchWorker(config, store.client, log, {
          createPartitions: opts.createPartitions,
          restartOnFatal: true,
        });
        kafka = launched;
        stops.push(() => launched.stop());
        log.info({ topic: config.KAFKA_TOPIC, metricsPort: launched.metricsPort }, 'Kafka ingest starting');
      }
      const server = await startServer({
        config,
        client: store.client,
        logger: log,
        taxonomy: TAXONOMY,
        ingest: {
          calls: store.calls,
          deadLetters: store.deadLetters,
          maxLineBytes: config.INGEST_MAX_MESSAGE_BYTES,
          rawTtlDays: config.RAW_TTL_DAYS,
        },
        kafka,
        otlp: { keyAttribute: config.OTLP_KEY_ATTRIBUTE, tenantAttribute: config.OTLP_TENANT_ATTRIBUTE },
      });
      // The API stops first (no new HTTP ingest), then Kafka ingest finishes its batch in flight.
      stops.unshift(() => server.close());
      log.info(
        { url: server.url, docs: `${server.url}/docs`, data: config.CLICKHOUSE_URL ?? config.CHDB_PATH },
        'errorscope is up',
      );

      if (opts.demo) demoDone = runStartDemo(store, config, opts.demoRate, demoAbort.signal, log);

      signals = stopSignal();
      const outcome = await signals.received;
      log.info({ signal: outcome }, 'stopping');
      return 0;
    } catch (err) {
      return runFailed(io, 'start', log, err, 'start failed', {
        kafka: config.KAFKA_BROKERS?.length ? config : undefined,
      });
    } finally {
      signals?.dispose();
      demoAbort.abort();
      await demoDone.catch(() => {});
      for (const stop of stops) await stop().catch((err) => log.error({ err }, 'shutdown step failed'));
      await store.close();
    }
  },
});

async function runStartDemo(
  store: Pick<StoreSession, 'client' | 'calls'>,
  config: Config,
  rate: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const { runDemo, storeTarget } = await import('./demo.js');
  const { fingerprintKey } = await import('../../core/index.js');
  const target = storeTarget(store.calls);
  const stored = await countCalls(
    clickhouseQuerier(store.client, { database: config.CLICKHOUSE_DATABASE, cluster: config.CLICKHOUSE_CLUSTER }),
  );
  const now = Date.now();
  const HOUR = 3_600_000;
  try {
    if (stored === 0) {
      log.info('demo: backfilling the last 24 hours');
      const back = await runDemo(
        {
          // The day ends with the 1310 surge (last 30 min) and the 1308/1113 walls (last 90 min) under way.
          traffic: { startMs: now - 24 * HOUR, endMs: now, ratePerSec: 2, seed: 11, surgeKeys: 2 },
          live: false,
          signal,
        },
        target,
      );
      log.info({ calls: back.calls, rejected: back.rejected }, 'demo: history ready');
      if (back.firstRejection) log.warn({ first: back.firstRejection }, 'demo: generated calls were refused');
    }
    // The live run keeps the same keys surging and walled from its first second, so the API shows them
    // at once (and after a restart, which skips the backfill).
    const start = Date.now();
    const live = {
      startMs: start,
      endMs: start + 24 * HOUR,
      ratePerSec: rate,
      seed: 12,
      surgeKeys: 2,
      surgeStartMs: start,
      wallStartMs: start,
    };
    const { planTraffic } = await import('../../traffic/index.js');
    const plan = planTraffic(live);
    log.info(
      { surgeKeys: plan.surgeKeys.map(fingerprintKey), surgeStart: new Date(plan.surgeStartMs).toISOString() },
      'demo: live traffic running (1310 surge planted)',
    );
    await runDemo({ traffic: live, live: true, signal }, target);
  } catch (err) {
    if (!signal.aborted) log.error({ err }, 'demo traffic stopped');
  }
}
