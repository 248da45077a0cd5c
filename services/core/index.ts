// Public surface of the pure core. Everything here is deterministic and free of I/O.
export { lookupCode } from './catalog.js';
export { fingerprintKey, looksLikeSecret } from './fingerprint.js';
export { type NormalizedEnvelope, type NormalizeResult, normalizeEnvelope, normalizeProvider } from './normalize.js';
export { BODY_MAX_CHARS, classifyBatch, DEFAULT_MAX_BYTES, MESSAGE_MAX_CHARS, parseLine } from './process.js';
export { GENERIC, PROVIDERS, TAXONOMY, type TaxonomyEntry } from './taxonomy.js';
export * from './types.js';
