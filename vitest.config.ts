import { configDefaults, defineConfig } from 'vitest/config';

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
          exclude: [...configDefaults.exclude, 'test/int/page.int.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
      {
        // The overview page in Chromium against a live `start --demo`: CPU-heavy (a browser, a day of
        // demo traffic), so it runs after the other projects instead of starving their event loops
        // (the API's load shedding answers 503 then).
        extends: true,
        test: {
          name: 'page',
          include: ['test/int/page.int.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
