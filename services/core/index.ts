// Public surface of the pure core. Everything here is deterministic and free of I/O.
export { lookupCode } from './catalog.js';
export { fingerprintKey } from './fingerprint.js';
export {
  analyzeValue,
  classifyEnvelope,
  parseLine,
  processLine,
  processValue,
  toClassification,
} from './process.js';
export { GENERIC, PROVIDERS, TAXONOMY } from './taxonomy.js';
export * from './types.js';
