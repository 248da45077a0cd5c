-- Lines that could not become a call (not JSON, not an object, too large, wrong field types), kept
-- with the reason and the original text so nothing is lost. The Kafka worker sends its poison
-- messages to the dead-letter topic; the HTTP ingest endpoint, which has no topic, keeps them here.
CREATE TABLE IF NOT EXISTS ${database}.dead_letters_v1
(
    received_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    src             LowCardinality(String),
    reason          String,
    raw             String,
    line            UInt32,
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    kafka_offset    Int64
)
ENGINE = MergeTree
PARTITION BY toDate(received_at)
ORDER BY (src, received_at)
TTL toDateTime(received_at) + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;
