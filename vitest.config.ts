import { defineConfig } from 'vitest/config';
import { scaled } from './test/helpers/time-scale.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // × VOICETERM_TEST_TIME_SCALE (set by the arm64 emulation runner, deploy/arm64/test.sh); 1 natively.
    testTimeout: scaled(30_000),
    hookTimeout: scaled(60_000),
    // Integration tests start real processes (mosquitto, pulseaudio, the supervisor) on free ports;
    // files run in parallel across forks, tests inside a file in order.
    pool: 'forks',
    reporters: ['default'],
  },
});
