/**
 * One factor for every wait in the tests. Waits are for state reached asynchronously by real
 * processes (the CLI, mosquitto, rauc, onnxruntime); they are sized for a native run. Under arm64
 * emulation (deploy/arm64/test.sh) Node runs 10–30× slower, so the runner sets
 * VOICETERM_TEST_TIME_SCALE and every helper that waits multiplies its timeout by it. A test whose
 * assertion is itself about timing (a watchdog cadence, a lag threshold) scales its threshold the
 * same way, or configures the product's threshold through its config; the product's defaults never
 * change to suit emulation. Native runs: factor 1, nothing changes.
 */
function readScale(): number {
  const raw = process.env.VOICETERM_TEST_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1)
    throw new Error(`VOICETERM_TEST_TIME_SCALE must be a number >= 1, got ${raw}`);
  return n;
}

export const TIME_SCALE = readScale();

/** A timeout sized for a native run, stretched by the emulation factor. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}
