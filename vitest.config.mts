import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60000,
    hookTimeout: 60000,
    // Lab tests build namespaces and spawn processes: keep the machine's 2 cores from being oversubscribed.
    maxWorkers: 2,
  },
});
