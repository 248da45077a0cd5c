// Child process of bench ingest: ClickHouse's own Kafka table engine inside chDB, consuming the bench
// topic into a MergeTree through a materialized view that extracts the error code, timed from CREATE
// until every message is counted. Prints one JSON line: seconds, rows, and the CPU seconds and peak RSS
// of this whole process (the engine's threads, plus its count query every 200 ms). Args: brokers
// topic group n dir.
import { parseConfig } from '../services/config.js';
import { createStoreClient } from '../services/store/clickhouse.js';

const [brokers, topic, group, nArg, dir] = process.argv.slice(2);
const n = Number(nArg);
const client = await createStoreClient(parseConfig({ CHDB_PATH: dir as string }));
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await client.command({ query: 'CREATE DATABASE IF NOT EXISTS eng' });
await client.command({
  query: `CREATE TABLE eng.src (line String) ENGINE = Kafka SETTINGS kafka_broker_list = '${brokers}',
          kafka_topic_list = '${topic}', kafka_group_name = '${group}', kafka_format = 'LineAsString',
          kafka_num_consumers = 1, kafka_max_block_size = 65536`,
});
await client.command({
  query: `CREATE TABLE eng.calls (ts DateTime64(3, 'UTC'), provider LowCardinality(String), status UInt16, code LowCardinality(String))
          ENGINE = MergeTree ORDER BY (code, ts)`,
});
await client.command({
  query: `CREATE MATERIALIZED VIEW eng.mv TO eng.calls AS
          SELECT parseDateTime64BestEffortOrZero(JSONExtractString(line, 'ts'), 3, 'UTC') AS ts,
                 JSONExtractString(line, 'provider') AS provider,
                 toUInt16(JSONExtractUInt(line, 'status')) AS status,
                 multiIf(JSONExtractString(line, 'error', 'code') != '', JSONExtractString(line, 'error', 'code'),
                         JSONExtractString(line, 'body', 'error', 'code') != '', JSONExtractString(line, 'body', 'error', 'code'),
                         JSONExtractString(line, 'body', 'error', 'type') != '', JSONExtractString(line, 'body', 'error', 'type'),
                         toString(JSONExtractUInt(line, 'status'))) AS code
          FROM eng.src`,
});
const deadline = Date.now() + 30 * 60_000;
let rows = 0;
while (rows < n && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
  const rs = await client.query({ query: 'SELECT count() AS c FROM eng.calls', format: 'JSONEachRow' });
  rows = Number((await rs.json<{ c: string }>())[0]?.c ?? 0);
}
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpu_seconds = (cpu.user + cpu.system) / 1e6;
const peak_rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
await client.command({ query: 'DROP TABLE eng.mv' });
await client.command({ query: 'DROP TABLE eng.src' });
await client.close();
process.stdout.write(
  `${JSON.stringify(rows >= n ? { seconds, rows, cpu_seconds, peak_rss_mb } : { error: `only ${rows} of ${n} rows after 30 min` })}\n`,
);
process.exit(0);
