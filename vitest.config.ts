import { defineConfig } from 'vitest/config';

// Worker entries run as compiled JS from dist/ (Node 20 cannot start a .ts worker), so the
// global setup builds once before any test file runs.
export default defineConfig({
  test: {
    globalSetup: ['./test/global_setup.ts'],
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.stress.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'stress',
          include: ['test/**/*.stress.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
