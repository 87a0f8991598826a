import { defineConfig } from 'vitest/config';

// Unit tests need nothing; integration and e2e tests talk to a private
// redis-server started by test/global-setup.ts and start real processes
// from dist/ (npm test builds first). Those run one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000, isolate: false }, // files share a worker's module cache (most of the unit time was imports)
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          // One worker keeps its imported modules between files: without this every file paid 2-5 s
          // of importing (fastify, ioredis, the dispatcher) again, over a third of the suite's time.
          isolate: false,
          testTimeout: 90_000,
          hookTimeout: 60_000,
          // expect.poll's default of 1 s is too short on a loaded 2-core CI machine (browser tests).
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
