-- Write-ahead record of every Kafka batch segment the worker is about to insert. After a crash the
-- redelivered messages are cut into the same segments and re-inserted with the same
-- insert_deduplication_token, so ClickHouse drops what already landed (see services/ingest).
CREATE TABLE IF NOT EXISTS ${database}.ingest_batches_v1
(
    group_id     LowCardinality(String),
    topic        LowCardinality(String),
    partition    Int32,
    first_offset Int64,
    last_offset  Int64,
    token        String,
    created_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (topic, partition, first_offset)
TTL toDateTime(created_at) + INTERVAL 14 DAY;
