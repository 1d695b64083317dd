/**
 * Common machinery of one simulated session: sending (suppressed while the script says silent),
 * recording client events, and streaming agent audio at a pace (chunks on a timer, cancellable).
 */
import type WebSocket from 'ws';
import { floatToInt16, int16ToBase64 } from '../pcm.js';
import type { LoopbackScript, RecordedClientEvent, SessionInfo } from './script.js';
import { speechDurationMs, synthVoice } from './voice.js';

export interface SessionDeps {
  ws: WebSocket;
  script: LoopbackScript;
  record: (e: RecordedClientEvent) => void;
  now: () => number;
  /** Agent audio sent per second of wall time, in seconds (1 = real time). */
  pace: number;
  id: string;
  /** Agent voice override (e.g. espeak-ng speech in benches); default: synthVoice. */
  voice?: AgentVoice;
}

/** Makes the agent's audio for a reply: PCM16 at `rate`. */
export type AgentVoice = (text: string, rate: number, durationMs: number | undefined) => Int16Array;

export interface Stream {
  itemId: string;
  text: string;
  pcm: Int16Array;
  sent: number;
  timer?: NodeJS.Timeout;
  done: boolean;
}

export abstract class SimSession {
  readonly info: SessionInfo;
  protected seq = 0;
  private voiceSeed = 7;

  constructor(
    protected readonly d: SessionDeps,
    api: 'realtime' | 'live',
  ) {
    this.info = { id: d.id, api, inputMs: 0, sentMs: new Map(), errors: [], open: true };
  }

  protected send(e: Record<string, unknown>): void {
    if (this.d.script.silent || !this.info.open) return;
    if (e.type === 'error') this.info.errors.push(String((e.error as { code?: string })?.code));
    this.d.ws.send(JSON.stringify({ event_id: `evt_${++this.seq}`, ...e }));
  }

  protected record(type: string, body: Record<string, unknown>): void {
    this.d.record({ sessionId: this.info.id, api: this.info.api, at: this.d.now(), type, body });
  }

  protected voiceFor(text: string, durationMs: number | undefined, rate: number): Int16Array {
    if (this.d.voice) return this.d.voice(text, rate, durationMs);
    const f = synthVoice({
      rate,
      durationMs: durationMs ?? speechDurationMs(text),
      f0: 130,
      level: 0.3,
      seed: this.voiceSeed++,
    });
    return floatToInt16(f);
  }

  /**
   * Stream `s.pcm` in chunks of `chunkMs`, `pace`× real time; onChunk gets each base64 chunk and
   * its end position in ms; onEnd after the last one. Honours silent mode (chunks are skipped,
   * the stream is held, as a hung service would).
   */
  protected stream(
    s: Stream,
    rate: number,
    chunkMs: number,
    onChunk: (b64: string, endMs: number) => void,
    onEnd: () => void,
  ): void {
    const chunk = Math.round((rate * chunkMs) / 1000);
    const interval = chunkMs / this.d.pace;
    const tick = () => {
      if (s.done || !this.info.open) return;
      if (this.d.script.silent) {
        s.timer = setTimeout(tick, interval);
        return;
      }
      const end = Math.min(s.pcm.length, s.sent + chunk);
      const part = s.pcm.subarray(s.sent, end);
      s.sent = end;
      this.info.sentMs.set(s.itemId, (end * 1000) / rate);
      onChunk(int16ToBase64(part), (end * 1000) / rate);
      if (end >= s.pcm.length) {
        s.done = true;
        onEnd();
      } else s.timer = setTimeout(tick, interval);
    };
    tick();
  }

  protected stopStream(s: Stream | undefined): void {
    if (!s) return;
    s.done = true;
    clearTimeout(s.timer);
  }

  /** Handle one parsed client event. */
  abstract onEvent(e: Record<string, unknown> & { type: string }): void;
  abstract expire(): void;
  closed(): void {
    this.info.open = false;
  }
}
