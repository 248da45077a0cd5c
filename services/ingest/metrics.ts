// Prometheus metrics and health of an ingest worker, served on METRICS_PORT: /metrics, /healthz
// (liveness: the process works, even while the broker is down) and /readyz (readiness: consuming).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class IngestMetrics {
  readonly registry = new Registry();
  readonly consumed = new Counter({
    name: 'errorscope_ingest_messages_consumed_total',
    help: 'Kafka messages processed (rows or dead letters), including replays after a failure',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly inserted = new Counter({
    name: 'errorscope_ingest_rows_inserted_total',
    help: 'Calls sent to the store (errors_v2 + calls_1m_v2; a replayed segment is counted again; ClickHouse drops the duplicate block)',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly beyondRetention = new Counter({
    name: 'errorscope_ingest_beyond_retention_total',
    help: "Calls stored whose time is already past a table's retention (its TTL drops them at insert): table is errors, calls_1m, calls_1h or calls_1d",
    labelNames: ['topic', 'table'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'errorscope_ingest_dead_letters_total',
    help: 'Messages sent to the dead-letter topic',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly deadLettersTruncated = new Counter({
    name: 'errorscope_ingest_dead_letters_truncated_total',
    help: 'Dead letters sent as a truncated copy (reason, original size and SHA-256 in headers) because the broker refused the full copy as too large',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly replayedSegments = new Counter({
    name: 'errorscope_ingest_replayed_segments_total',
    help: 'Segments re-inserted with their recorded token after a crash, rebalance or failure',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly segments = new Counter({
    name: 'errorscope_ingest_segments_total',
    help: 'Segments inserted, by why they were closed: full (INGEST_SEGMENT_MAX), caught_up (no backlog), age (INGEST_SEGMENT_MAX_MS), bytes (INGEST_SEGMENT_MAX_BYTES), boundary (a recorded segment follows), recorded (a replay reached its recorded end)',
    labelNames: ['topic', 'closed'],
    registers: [this.registry],
  });
  readonly replaySpans = new Counter({
    name: 'errorscope_ingest_replay_spans_total',
    help: 'Batches that ended inside a replayed segment (it continues in the next fetch)',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'errorscope_ingest_batch_failures_total',
    help: 'Batches that failed (ClickHouse or dead-letter topic unavailable); nothing was committed for them',
    labelNames: ['topic'],
    registers: [this.registry],
  });
  readonly batchSeconds = new Histogram({
    name: 'errorscope_ingest_batch_duration_seconds',
    help: 'Time to classify, insert and dead-letter one partition batch',
    labelNames: ['topic'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly lag = new Gauge({
    name: 'errorscope_ingest_lag_messages',
    help: 'High watermark of the partition minus the offset committed (an open segment counts until it is inserted), as of the last batch',
    labelNames: ['topic', 'partition'],
    registers: [this.registry],
  });

  /** Read when /metrics is scraped: true while Kafka ingest is consuming. */
  readyProbe: () => boolean = () => false;
  readonly kafkaReady: Gauge = new Gauge({
    name: 'errorscope_ingest_kafka_ready',
    help: '1 while Kafka ingest is consuming (connected, fetching, batches succeed), else 0 (see /readyz for why)',
    registers: [this.registry],
    collect: () => {
      this.kafkaReady.set(this.readyProbe() ? 1 : 0);
    },
  });
  readonly kafkaState = new Gauge({
    name: 'errorscope_ingest_kafka_state',
    help: 'State of Kafka ingest: 1 for the current state (starting, running, retrying, stopped), 0 for the others',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly kafkaStartFailures = new Counter({
    name: 'errorscope_ingest_kafka_start_failures_total',
    help: 'Failed attempts to start (or restart) Kafka ingest: broker unreachable, topic missing, consumer crashed',
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'errorscope_' });
  }
}

export interface HealthSource {
  /** Null when healthy, else why not. */
  unhealthyReason(): string | null;
  /** Null when ready, else why not (/readyz). */
  notReadyReason?(): string | null;
  /** Details served with /readyz. */
  readyDetails?(): Record<string, unknown>;
}

/** Serves /metrics, /healthz and /readyz. Port 0 picks a free port (tests). */
export async function serveMetrics(
  metrics: IngestMetrics,
  health: HealthSource,
  port: number,
  host = '0.0.0.0',
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/healthz') {
      const why = health.unhealthyReason();
      res.writeHead(why ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(why ? { status: 'unhealthy', reason: why } : { status: 'ok' }));
      return;
    }
    if (path === '/readyz') {
      const why = health.unhealthyReason() ?? health.notReadyReason?.() ?? null;
      const details = health.readyDetails?.() ?? {};
      res.writeHead(why ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(why ? { status: 'not ready', reason: why, ...details } : { status: 'ready', ...details }));
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => res.writeHead(500).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
