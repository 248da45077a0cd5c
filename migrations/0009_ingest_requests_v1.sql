-- HTTP ingest requests sent with an Idempotency-Key: the SHA-256 of the body the key was first used
-- with and the answer given, so a retry with the same body gets the same answer and a reuse of the
-- key with another body is refused (422). Kept 7 days.
CREATE TABLE IF NOT EXISTS ${database}.ingest_requests_v1
(
    idempotency_key String,
    body_sha256     FixedString(64),
    answer          String,
    created_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (idempotency_key, created_at)
TTL toDateTime(created_at) + INTERVAL 7 DAY;
