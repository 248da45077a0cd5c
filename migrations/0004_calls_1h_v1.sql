-- Rollup of every call by 1h bucket. Counts are SimpleAggregateFunction(sum) and latency is a
-- t-digest state, so any coarser grouping is a cheap re-aggregation. Retention: 400 days.
CREATE TABLE IF NOT EXISTS ${database}.calls_1h_v1
(
    bucket            DateTime('UTC'),
    provider          LowCardinality(String),
    model             LowCardinality(String),
    key_fp            String,
    tenant            LowCardinality(String),
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
    latency_q         AggregateFunction(quantilesTDigestIf(0.5, 0.9, 0.99), UInt32, UInt8),
    last_reset_at     SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(bucket)
ORDER BY (bucket, provider, model, key_fp, tenant, category, code, http_status)
TTL bucket + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_1h_mv_v1 TO ${database}.calls_1h_v1 AS
SELECT
    toStartOfHour(ts) AS bucket,
    provider, model, key_fp, tenant, category, code, http_status,
    count() AS calls,
    countIf(category != 'ok') AS errors,
    sum(prompt_tokens) AS prompt_tokens,
    sum(completion_tokens) AS completion_tokens,
    sum(total_tokens) AS total_tokens,
    sum(ifNull(latency_ms, 0)) AS latency_sum,
    countIf(latency_ms IS NOT NULL) AS latency_count,
    quantilesTDigestIfState(0.5, 0.9, 0.99)(ifNull(latency_ms, 0), latency_ms IS NOT NULL) AS latency_q,
    max(reset_at) AS last_reset_at
FROM ${database}.calls_in_v1
GROUP BY bucket, provider, model, key_fp, tenant, category, code, http_status;
