// Table names of the current storage version, stated once (migrations/0009_storage_v2.sql creates
// them). Readers and writers name tables through these, never as literals.
import type { Resolution } from '../core/timeparse.js';

export const TABLES = {
  errors: 'errors_v2',
  calls1m: 'calls_1m_v2',
  calls1h: 'calls_1h_v2',
  calls1d: 'calls_1d_v2',
  unknownCodes: 'unknown_codes_v2',
  deadLetters: 'dead_letters_v1',
  ingestBatches: 'ingest_batches_v1',
} as const;

/** The rollup holding each resolution. */
export const ROLLUP_TABLE: Record<Resolution, string> = {
  '1m': TABLES.calls1m,
  '1h': TABLES.calls1h,
  '1d': TABLES.calls1d,
};
