import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real processes (mosquitto, pulseaudio, the supervisor) on free ports;
    // files run in parallel across forks, tests inside a file in order.
    pool: 'forks',
    reporters: ['default'],
  },
});
