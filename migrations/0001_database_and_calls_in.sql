-- errorscope schema. `${database}` is replaced by the configured database (CLICKHOUSE_DATABASE) by
-- `errorscope migrate`; every statement is idempotent (IF NOT EXISTS) and statements end with `;`.
--
-- calls_in_v1 is the single insert point: every classified call (successful or not) is inserted
-- here once per Kafka batch segment, with an insert_deduplication_token. It stores nothing itself
-- (Null engine); materialized views fan it out to the raw error table and the rollups.
CREATE DATABASE IF NOT EXISTS ${database};

CREATE TABLE IF NOT EXISTS ${database}.calls_in_v1
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
    prompt_tokens     UInt32,
    completion_tokens UInt32,
    total_tokens      UInt32,
    body              String,
    src               LowCardinality(String),
    kafka_topic       LowCardinality(String),
    kafka_partition   Int32,
    kafka_offset      Int64
)
ENGINE = Null;
