-- Fleet rollups by month: calls_fleet_1m_v2 and calls_fleet_1h_v2 were partitioned by day, so a
-- dashboard range of a week read 8 partitions of ~375 (1h) rows each, two or more parts apiece, and
-- the embedded engine's cost of a read grows with the parts it opens more than with the rows (a 7-day
-- series by provider: ~14 -> ~10 ms of CPU on one part per month, docs/scaling.md). The fleet rollups
-- are small (~15k rows a day at 1m, ~375 at 1h for 200 keys), so monthly partitions hold few parts;
-- their TTLs (14 and 400 days, core/retention.ts) now remove rows in merges instead of whole
-- partitions. The keyed rollups keep their daily partitions (~140k rows a day at 1m).
--
-- Carried over: every row of calls_fleet_1m_v2 and calls_fleet_1h_v2 (same columns, nothing
-- re-derived). The v2 views stop (dropped here) and the v3 ones start after the copy, so nothing is
-- counted twice; as with 0010 and 0011, stop the ingest workers while migrating (a block inserted
-- between the copy and the new views would be missing from the fleet rollups). The v2 fleet tables
-- stay readable, no longer written, until a later migration drops them.

DROP VIEW IF EXISTS ${database}.calls_fleet_1m_v2_mv;

DROP VIEW IF EXISTS ${database}.calls_fleet_1h_v2_mv;

CREATE TABLE IF NOT EXISTS ${database}.calls_fleet_1m_v3
(
    bucket            DateTime('UTC'),
    provider          LowCardinality(String),
    model             LowCardinality(String),
    category          LowCardinality(String),
    code              LowCardinality(String),
    http_status       UInt16,
    calls             SimpleAggregateFunction(sum, UInt64),
    errors            SimpleAggregateFunction(sum, UInt64),
    prompt_tokens     SimpleAggregateFunction(sum, UInt64),
    completion_tokens SimpleAggregateFunction(sum, UInt64),
    total_tokens      SimpleAggregateFunction(sum, UInt64),
    latency_sum       SimpleAggregateFunction(sum, UInt64),
    latency_count     SimpleAggregateFunction(sum, UInt64),
    latency_hist      SimpleAggregateFunction(sumMap, Tuple(Array(UInt16), Array(UInt64))),
    last_reset_at     SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, provider, model, category, code, http_status)
TTL bucket + INTERVAL 14 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.calls_fleet_1h_v3
(
    bucket            DateTime('UTC'),
    provider          LowCardinality(String),
    model             LowCardinality(String),
    category          LowCardinality(String),
    code              LowCardinality(String),
    http_status       UInt16,
    calls             SimpleAggregateFunction(sum, UInt64),
    errors            SimpleAggregateFunction(sum, UInt64),
    prompt_tokens     SimpleAggregateFunction(sum, UInt64),
    completion_tokens SimpleAggregateFunction(sum, UInt64),
    total_tokens      SimpleAggregateFunction(sum, UInt64),
    latency_sum       SimpleAggregateFunction(sum, UInt64),
    latency_count     SimpleAggregateFunction(sum, UInt64),
    latency_hist      SimpleAggregateFunction(sumMap, Tuple(Array(UInt16), Array(UInt64))),
    last_reset_at     SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, provider, model, category, code, http_status)
TTL bucket + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO ${database}.calls_fleet_1m_v3 (bucket, provider, model, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at)
SELECT bucket, provider, model, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at
FROM ${database}.calls_fleet_1m_v2;

INSERT INTO ${database}.calls_fleet_1h_v3 (bucket, provider, model, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at)
SELECT bucket, provider, model, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at
FROM ${database}.calls_fleet_1h_v2;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_fleet_1m_v3_mv TO ${database}.calls_fleet_1m_v3 AS
SELECT bucket, provider, model, category, code, http_status,
    sum(calls) AS calls,
    sum(errors) AS errors,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens,
    sum(total_tokens) AS total_tokens,
    sum(latency_sum) AS latency_sum,
    sum(latency_count) AS latency_count,
    sumMap(latency_hist) AS latency_hist,
    max(last_reset_at) AS last_reset_at
FROM ${database}.calls_1m_v2
GROUP BY bucket, provider, model, category, code, http_status;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_fleet_1h_v3_mv TO ${database}.calls_fleet_1h_v3 AS
SELECT bucket, provider, model, category, code, http_status,
    sum(calls) AS calls,
    sum(errors) AS errors,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens,
    sum(total_tokens) AS total_tokens,
    sum(latency_sum) AS latency_sum,
    sum(latency_count) AS latency_count,
    sumMap(latency_hist) AS latency_hist,
    max(last_reset_at) AS last_reset_at
FROM ${database}.calls_1h_v2
GROUP BY bucket, provider, model, category, code, http_status;
