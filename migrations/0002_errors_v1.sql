-- Raw samples of failed calls (category != 'ok'), for drill-down, quota walls and unknown codes.
-- The TTL is the default retention; `errorscope migrate` re-applies RAW_TTL_DAYS when configured.
CREATE TABLE IF NOT EXISTS ${database}.errors_v1
(
    ts                DateTime64(3, 'UTC'),
    provider          LowCardinality(String),
    model             LowCardinality(String),
    key_fp            String,
    tenant            LowCardinality(String),
    endpoint          String,
    http_status       UInt16,
    category          LowCardinality(String),
    code              LowCardinality(String),
    known             Bool,
    retryable         Bool,
    reset_at          Nullable(DateTime64(3, 'UTC')),
    message           String,
    request_id        String,
    stream            Bool,
    finish_reason     LowCardinality(String),
    latency_ms        Nullable(UInt32),
    body              String,
    src               LowCardinality(String),
    kafka_topic       LowCardinality(String),
    kafka_partition   Int32,
    kafka_offset      Int64,
    inserted_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toDate(ts)
ORDER BY (category, code, key_fp, ts)
TTL toDateTime(ts) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.errors_mv_v1 TO ${database}.errors_v1 AS
SELECT
    ts, provider, model, key_fp, tenant, endpoint, http_status, category, code, known, retryable,
    reset_at, message, request_id, stream, finish_reason, latency_ms, body, src,
    kafka_topic, kafka_partition, kafka_offset
FROM ${database}.calls_in_v1
WHERE category != 'ok';
