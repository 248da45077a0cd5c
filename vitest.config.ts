import { defineConfig } from 'vitest/config';

// Unit tests (pure core) run in parallel; integration tests (`*.int.test.ts`) talk to the real Kafka
// broker and an embedded ClickHouse engine (chDB: one data directory per process, so one file per fork).
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['test/int/**/*.int.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
