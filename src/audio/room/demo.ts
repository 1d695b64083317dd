/**
 * The bundled demo conversation (demo/README.md): the agent's prompt goes to the loudspeaker, the
 * customer answers at the microphone, and the whole exchange loops. Used by the audio component as
 * the embedded default of `voiceterm run` on board `sim`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readWavMono } from '../pcm.js';
import { resampleSignal } from '../resample/polyphase.js';
import type { TalkerSpec } from './scenario.js';

/** Pause after the agent's prompt before the customer answers, and after the answer. */
const GAP_MS = 600;
const TAIL_MS = 1500;

/** The demo WAV folder, whether running from src/ (tests) or dist/src/ (the built CLI). */
export function demoDir(): string {
  const candidates = [
    new URL('./demo/', import.meta.url),
    new URL('../../../../src/audio/room/demo/', import.meta.url),
  ];
  for (const c of candidates) {
    const dir = fileURLToPath(c);
    if (existsSync(`${dir}agent.wav`)) return dir;
  }
  throw new Error(
    `demo conversation WAVs not found (looked in ${candidates.map((c) => fileURLToPath(c)).join(', ')})`,
  );
}

export interface DemoConversation {
  /** The agent's prompt at `rate`, to write() to the device at the start of every loop. */
  agent: Float32Array;
  /** The customer as a near-end talker (scenario.talkers). */
  customer: TalkerSpec;
  /** Length of one loop of the conversation. */
  loopMs: number;
}

export function demoConversation(rate: number): DemoConversation {
  const dir = demoDir();
  const agentWav = readWavMono(`${dir}agent.wav`);
  const agent = resampleSignal(agentWav.samples, agentWav.sampleRate, rate);
  const customerWav = readWavMono(`${dir}customer.wav`);
  const agentMs = (agent.length / rate) * 1000;
  const customerMs = (customerWav.samples.length / customerWav.sampleRate) * 1000;
  const atMs = Math.round(agentMs + GAP_MS);
  return {
    agent,
    customer: {
      samples: customerWav.samples,
      sampleRate: customerWav.sampleRate,
      atMs,
      name: 'demo customer',
    },
    loopMs: Math.round((atMs + customerMs + TAIL_MS) / 10) * 10,
  };
}
