// Table names of the current storage version, stated once (migrations/0010_storage_v2.sql creates
// them). Readers and writers name tables through these, never as literals.
import type { Resolution } from '../query/timeparse.js';
import type { Dimension } from './dimensions.js';

export const TABLES = {
  errors: 'errors_v2',
  calls1m: 'calls_1m_v2',
  calls1h: 'calls_1h_v2',
  calls1d: 'calls_1d_v2',
  unknownCodes: 'unknown_codes_v2',
  fleet1m: 'calls_fleet_1m_v2',
  fleet1h: 'calls_fleet_1h_v2',
  fleet1d: 'calls_fleet_1d_v2',
  deadLetters: 'dead_letters_v1',
  ingestBatches: 'ingest_batches_v1',
} as const;

/** The rollup holding each resolution. */
const ROLLUP_TABLE: Record<Resolution, string> = {
  '1m': TABLES.calls1m,
  '1h': TABLES.calls1h,
  '1d': TABLES.calls1d,
};

/** The fleet rollups (migrations/0011): the same rows without key_fp and tenant. */
const FLEET_TABLE: Record<Resolution, string> = {
  '1m': TABLES.fleet1m,
  '1h': TABLES.fleet1h,
  '1d': TABLES.fleet1d,
};

/**
 * The rollup a query reads: the fleet rollup when none of the dimensions it groups or filters by is
 * key or tenant (fewer rows by about the number of keys), else the keyed one.
 */
export function rollupTable(resolution: Resolution, dims: readonly Dimension[]): string {
  return dims.some((d) => d === 'key' || d === 'tenant') ? ROLLUP_TABLE[resolution] : FLEET_TABLE[resolution];
}
