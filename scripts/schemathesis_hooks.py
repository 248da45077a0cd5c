# Schemathesis hooks for the API fuzz step (scripts/schemathesis.sh, test/int/fuzz.int.test.ts):
# POST /api/v1/ingest takes NDJSON, which is text on the wire.
import schemathesis

schemathesis.serializer.alias("application/x-ndjson", "text/plain")
