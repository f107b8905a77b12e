import { defineConfig } from 'vitest/config';

// Two cores on CI: at most two test files at once; media and process tests get room to breathe.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
