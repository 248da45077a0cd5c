// Public surface of the pure core: classifyBatch (the one way from input lines to rows), the taxonomy,
// key fingerprints and the types. Everything here is deterministic and free of I/O; the single-line
// steps under classifyBatch (normalize, classify) stay private to core.
export { lookupCode } from './catalog.js';
export { fingerprintKey } from './fingerprint.js';
export { classifyBatch, DEFAULT_MAX_BYTES, parseLine } from './process.js';
export { GENERIC, PROVIDERS, TAXONOMY } from './taxonomy.js';
export * from './types.js';
