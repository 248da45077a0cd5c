-- Codes the taxonomy does not know, kept for as long as the deployment lives (tiny table):
-- first seen, last seen, count and a sample message, so new provider codes surface at once.
CREATE TABLE IF NOT EXISTS ${database}.unknown_codes_v1
(
    provider       LowCardinality(String),
    code           String,
    first_seen     SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen      SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    calls          SimpleAggregateFunction(sum, UInt64),
    http_status    SimpleAggregateFunction(anyLast, UInt16),
    category       SimpleAggregateFunction(anyLast, String),
    sample_message SimpleAggregateFunction(anyLast, String)
)
ENGINE = AggregatingMergeTree
ORDER BY (provider, code)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.unknown_codes_mv_v1 TO ${database}.unknown_codes_v1 AS
SELECT
    provider, code,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    count() AS calls,
    anyLast(http_status) AS http_status,
    anyLast(category) AS category,
    anyLast(message) AS sample_message
FROM ${database}.calls_in_v1
WHERE NOT known
GROUP BY provider, code;
