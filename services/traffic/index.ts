// Synthetic LLM API traffic, one module for `demo`, the test seeders and every bench. Pure: generators
// of envelopes, lines or records; the caller decides where they go. Imports services/core only.
//   scenario: realistic traffic with a daily rhythm and planted episodes (demo, live ingest bench)
//   exact:    exact per-minute counts, for tests that derive expected answers from what they planted
//   replay:   every real error shape at full speed (classifier bench, backfill ingest bench)
//   streams:  the ingest bench's live and backfill scenarios as chunks of lines
//   history:  pre-classified rows over weeks of event time (query API bench)
export {
  generateEnvelopes,
  type Seeded,
  type SeedKey,
  type SeedOptions,
  seedKeys,
} from './exact.js';
export { historyRecords } from './history.js';
export { mulberry32 } from './prng.js';
export { generateLines } from './replay.js';
export {
  demoKey,
  generateTraffic,
  planTraffic,
  type TrafficOptions,
  type TrafficPlan,
} from './scenario.js';
export { formatCst } from './shapes.js';
export { backfillLines, liveLines } from './streams.js';
