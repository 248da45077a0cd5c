// A classify thread's heap limit follows what it may have to hold (services/ingest/classify-pool.ts).
import { describe, expect, it } from 'vitest';
import { threadHeapMb } from '../../services/ingest/classify-pool.js';

const MIB = 1024 * 1024;

describe('threadHeapMb', () => {
  it('leaves room for four times the open segments and eight times the largest message', () => {
    for (const [segment, message] of [
      [32 * MIB, MIB],
      [256 * MIB, MIB],
      [32 * MIB, 64 * MIB],
      [MIB, 1000],
    ] as const) {
      const { maxOldGenerationSizeMb } = threadHeapMb(segment, message);
      expect(maxOldGenerationSizeMb * MIB).toBeGreaterThanOrEqual(4 * segment + 8 * message);
      expect(maxOldGenerationSizeMb).toBeGreaterThanOrEqual(192);
    }
  });

  it('grows with the segment bound and the message size, never below its floor', () => {
    const base = threadHeapMb(32 * MIB, MIB).maxOldGenerationSizeMb;
    expect(threadHeapMb(64 * MIB, MIB).maxOldGenerationSizeMb).toBeGreaterThan(base);
    expect(threadHeapMb(32 * MIB, 32 * MIB).maxOldGenerationSizeMb).toBeGreaterThan(base);
    expect(threadHeapMb(1, 1).maxOldGenerationSizeMb).toBe(threadHeapMb(2 * MIB, 2).maxOldGenerationSizeMb);
  });
});
