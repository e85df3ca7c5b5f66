import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real sockets and real-time audio: keep files from starving each other on 2 cores.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
