/**
 * The acoustic world of one scenario, advanced one frame at a time with no I/O and no allocation:
 *
 *   mic = room(delay(softclip(dac))) + Σ talkers + noise
 *
 * It also keeps the ground truth of the last frame (echo only, near-end only, noise only) so
 * benches can score ERLE and SDR against what really reached the microphone.
 */
import { PartitionedConvolver } from './convolver.js';
import { createNoise, type NoiseSource } from './noise.js';
import type { ResolvedScenario } from './scenario.js';

/** How long the noise generator is run at start to calibrate its level. */
const NOISE_CALIBRATION_S = 5;

export class RoomWorld {
  readonly scenario: ResolvedScenario;
  /** Ground truth of the last frame: echo at the mic, near-end talkers at the mic, noise. */
  readonly echo: Float32Array;
  readonly near: Float32Array;
  readonly noise: Float32Array;
  private readonly convolver: PartitionedConvolver;
  private readonly delayLine: Float32Array;
  private delayPos = 0;
  private readonly shaped: Float32Array;
  private readonly noiseSource: NoiseSource;
  private readonly rawNoise: Float64Array;
  private readonly noiseGain: number;

  constructor(scenario: ResolvedScenario) {
    this.scenario = scenario;
    const F = scenario.frameSamples;
    this.echo = new Float32Array(F);
    this.near = new Float32Array(F);
    this.noise = new Float32Array(F);
    this.shaped = new Float32Array(F);
    this.rawNoise = new Float64Array(F);
    this.convolver = new PartitionedConvolver(scenario.ir, 128);
    this.delayLine = new Float32Array(Math.max(1, scenario.delaySamples));
    // Noise seed differs from the room's so changing the room never changes the noise.
    const noiseSeed = (scenario.seed * 2654435761 + 12345) >>> 0;
    this.noiseGain = 0;
    if (scenario.noiseType !== 'none' && scenario.noiseRms > 0) {
      const probe = createNoise(scenario.noiseType, scenario.rate, noiseSeed);
      const n = NOISE_CALIBRATION_S * scenario.rate;
      const buf = new Float64Array(n);
      probe.fill(buf, n);
      let e = 0;
      for (let i = 0; i < n; i++) e += buf[i] * buf[i];
      this.noiseGain = scenario.noiseRms / Math.sqrt(e / n);
    }
    this.noiseSource = createNoise(scenario.noiseType, scenario.rate, noiseSeed);
  }

  /**
   * Advance one frame. `dac` holds what the loudspeaker played during this frame; `index` is the
   * capture sample index of the frame's first sample. Writes the microphone signal into `mic`.
   */
  process(dac: Float32Array, index: number, mic: Float32Array): void {
    const s = this.scenario;
    const F = s.frameSamples;
    // Loudspeaker nonlinearity, then the bulk delay.
    const shaped = this.shaped;
    const level = s.softclipLevel;
    const dl = this.delayLine;
    const delay = s.delaySamples;
    for (let i = 0; i < F; i++) {
      let x = dac[i];
      if (level !== undefined) x = level * Math.tanh(x / level);
      if (delay > 0) {
        const out = dl[this.delayPos];
        dl[this.delayPos] = x;
        this.delayPos = this.delayPos + 1 === delay ? 0 : this.delayPos + 1;
        x = out;
      }
      shaped[i] = x;
    }
    this.convolver.process(shaped, this.echo, F);

    // Near-end talkers (schedule repeats every loopSamples when looping).
    const near = this.near;
    near.fill(0);
    const loop = s.loopSamples;
    for (let ti = 0; ti < s.talkers.length; ti++) {
      const t = s.talkers[ti];
      const len = t.samples.length;
      for (let i = 0; i < F; i++) {
        const at = loop === undefined ? index + i : (index + i) % loop;
        const k = at - t.startSample;
        if (k >= 0 && k < len) near[i] += t.samples[k];
      }
    }

    const noise = this.noise;
    const raw = this.rawNoise;
    const g = this.noiseGain;
    if (g === 0) raw.fill(0);
    else this.noiseSource.fill(raw, F);
    for (let i = 0; i < F; i++) {
      noise[i] = g * raw[i];
      mic[i] = this.echo[i] + near[i] + noise[i];
    }
  }

  /** Silence the room's memory (echo tail, delay line), e.g. after the device was lost. */
  resetEcho(): void {
    this.convolver.reset();
    this.delayLine.fill(0);
    this.delayPos = 0;
  }
}
