import { defineConfig } from 'vitest/config';

// Forks, not threads: onnxruntime-node has crashed inside several worker threads.
export const config = defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

export default config;
