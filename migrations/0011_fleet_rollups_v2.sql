-- Fleet rollups: the v2 rollups without key_fp and tenant, for the dashboard panels that neither
-- filter nor group by key or tenant (the store picks them, services/store/rollups.ts). A fleet row
-- stands for every key and tenant of its minute/hour/day and dimension set, so these tables are
-- ~keys x smaller than calls_*_v2 (200 keys in bench api: see docs/scaling.md for the measurement).
-- Each is filled by a view on the keyed rollup of the same resolution, so an insert into calls_1m_v2
-- (deduplicated by its token, and its dependent views with it) reaches every resolution once.
-- Re-derived by this migration from calls_1m_v2, calls_1h_v2 and calls_1d_v2 (nothing is lost: the
-- fleet rows are sums of the keyed rows), before the views exist so nothing is counted twice.

CREATE TABLE IF NOT EXISTS ${database}.calls_fleet_1m_v2
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
PARTITION BY toDate(bucket)
ORDER BY (bucket, provider, model, category, code, http_status)
TTL bucket + INTERVAL 14 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.calls_fleet_1h_v2
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
PARTITION BY toDate(bucket)
ORDER BY (bucket, provider, model, category, code, http_status)
TTL bucket + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.calls_fleet_1d_v2
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
TTL bucket + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO ${database}.calls_fleet_1m_v2
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

INSERT INTO ${database}.calls_fleet_1h_v2
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

INSERT INTO ${database}.calls_fleet_1d_v2
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
FROM ${database}.calls_1d_v2
GROUP BY bucket, provider, model, category, code, http_status;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_fleet_1m_v2_mv TO ${database}.calls_fleet_1m_v2 AS
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

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_fleet_1h_v2_mv TO ${database}.calls_fleet_1h_v2 AS
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

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_fleet_1d_v2_mv TO ${database}.calls_fleet_1d_v2 AS
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
FROM ${database}.calls_1d_v2
GROUP BY bucket, provider, model, category, code, http_status;
