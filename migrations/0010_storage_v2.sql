-- Storage v2: the worker aggregates before it inserts (services/store/calls.ts). Each Kafka batch
-- segment (or HTTP request, or demo block) becomes two inserts, each with its own deduplication token
-- derived from the segment's: the failed calls as rows into errors_v2, and one row per minute x
-- dimension set into calls_1m_v2, computed in JavaScript. Coarser rollups cascade from calls_1m_v2 by
-- materialized views (deduplicated with it: deduplicate_blocks_in_dependent_materialized_views).
-- Latency is a log-bucket histogram (services/core/latency-histogram.ts: bucket index -> count, merged
-- with sumMap, quantiles read at query time within 5% relative error) instead of a t-digest state.
--
-- Carried over from v1 by this migration (once; the v1 tables stay readable until a later migration
-- drops them): every row of errors_v1 (all columns), unknown_codes_v1 (merged), and every rollup row of
-- calls_1m_v1, calls_1h_v1 and calls_1d_v1 with its counts, tokens, latency_sum, latency_count and
-- last_reset_at. NOT carried over: latency quantiles. A t-digest state cannot be turned into buckets,
-- so carried rows have an empty histogram and v2 reports null quantiles for buckets written before the
-- migration (the v1 tables still answer them); averages (latency_sum / latency_count) are kept.
-- The copies run before the views are created, so nothing carried is counted twice by a cascade.
-- calls_in_v1 and the v1 views are left in place: an old worker still running during an upgrade keeps
-- filling v1 (its rows are not in v2; stop v1 workers before migrating).

CREATE TABLE IF NOT EXISTS ${database}.errors_v2 AS ${database}.errors_v1
ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (category, code, key_fp, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.calls_1m_v2
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
    latency_hist      SimpleAggregateFunction(sumMap, Tuple(Array(UInt16), Array(UInt64))),
    last_reset_at     SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(bucket)
ORDER BY (bucket, provider, model, key_fp, tenant, category, code, http_status)
TTL bucket + INTERVAL 14 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.calls_1h_v2
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
    latency_hist      SimpleAggregateFunction(sumMap, Tuple(Array(UInt16), Array(UInt64))),
    last_reset_at     SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(bucket)
ORDER BY (bucket, provider, model, key_fp, tenant, category, code, http_status)
TTL bucket + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.calls_1d_v2
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
    latency_hist      SimpleAggregateFunction(sumMap, Tuple(Array(UInt16), Array(UInt64))),
    last_reset_at     SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC')))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (bucket, provider, model, key_fp, tenant, category, code, http_status)
TTL bucket + INTERVAL 1825 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS ${database}.unknown_codes_v2 AS ${database}.unknown_codes_v1
ENGINE = AggregatingMergeTree
ORDER BY (provider, code)
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO ${database}.errors_v2 SELECT * FROM ${database}.errors_v1;

INSERT INTO ${database}.unknown_codes_v2 SELECT * FROM ${database}.unknown_codes_v1;

INSERT INTO ${database}.calls_1m_v2 (bucket, provider, model, key_fp, tenant, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at)
SELECT bucket, provider, model, key_fp, tenant, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')), last_reset_at
FROM ${database}.calls_1m_v1;

INSERT INTO ${database}.calls_1h_v2 (bucket, provider, model, key_fp, tenant, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at)
SELECT bucket, provider, model, key_fp, tenant, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')), last_reset_at
FROM ${database}.calls_1h_v1;

INSERT INTO ${database}.calls_1d_v2 (bucket, provider, model, key_fp, tenant, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, latency_hist, last_reset_at)
SELECT bucket, provider, model, key_fp, tenant, category, code, http_status, calls, errors, prompt_tokens, completion_tokens, total_tokens, latency_sum, latency_count, (CAST([], 'Array(UInt16)'), CAST([], 'Array(UInt64)')), last_reset_at
FROM ${database}.calls_1d_v1;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_1h_v2_mv TO ${database}.calls_1h_v2 AS
SELECT
    toStartOfHour(bucket) AS bucket,
    provider, model, key_fp, tenant, category, code, http_status,
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
GROUP BY bucket, provider, model, key_fp, tenant, category, code, http_status;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.calls_1d_v2_mv TO ${database}.calls_1d_v2 AS
SELECT
    toStartOfDay(bucket) AS bucket,
    provider, model, key_fp, tenant, category, code, http_status,
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
GROUP BY bucket, provider, model, key_fp, tenant, category, code, http_status;

-- Unknown codes come from the failed calls (a call the taxonomy does not know is never 'ok').
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.unknown_codes_v2_mv TO ${database}.unknown_codes_v2 AS
SELECT
    provider, code,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    count() AS calls,
    anyLast(http_status) AS http_status,
    anyLast(category) AS category,
    anyLast(message) AS sample_message
FROM ${database}.errors_v2
WHERE NOT known
GROUP BY provider, code;
