import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from './command.js';

export const frontendCommand: Command = {
  name: 'frontend',
  summary: 'run the echo canceller + VAD + barge-in decision over recorded files',
  usage: `voiceterm frontend --mic MIC.wav --ref REF.wav [--out CLEAN.wav] [--events EVENTS.jsonl] [--models DIR]

  MIC and REF: 16 kHz mono WAVs, sample-aligned as the audio engine delivers them (the acoustic delay
  is inside the mic). Writes the cleaned signal and one JSON object per line:
  {"t": s, "type": "speech_start"|"speech_end"} and, every second, {"t", "type": "stats", "erle_db", ...}.
  Without --events the events go to stdout.`,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        mic: { type: 'string' },
        ref: { type: 'string' },
        out: { type: 'string' },
        events: { type: 'string' },
        models: { type: 'string' },
      },
    });
    if (!values.mic || !values.ref) {
      console.error(`--mic and --ref are required\n\nusage: ${this.usage}`);
      return 2;
    }
    const { readWavMono, writeWav16 } = await import('../audio/pcm.js');
    const mic = readWavMono(values.mic);
    const ref = readWavMono(values.ref);
    for (const [name, w] of [
      ['--mic', mic],
      ['--ref', ref],
    ] as const) {
      if (w.sampleRate !== 16000) {
        console.error(
          `${name}: ${w.sampleRate} Hz; the front-end takes 16 kHz (e.g. sox in.wav -r 16000 out.wav)`,
        );
        return 2;
      }
    }
    if (mic.samples.length !== ref.samples.length) {
      console.error(
        `--mic has ${mic.samples.length} samples, --ref ${ref.samples.length}: they must be sample-aligned recordings of the same length`,
      );
      return 2;
    }
    const { FrontendPipeline } = await import('../frontend/pipeline.js');
    const { processOffline } = await import('../frontend/offline.js');
    const pipe = new FrontendPipeline({ modelsDir: values.models });
    const t0 = performance.now();
    const { clean, events } = processOffline(pipe, mic.samples, ref.samples);
    const secs = (performance.now() - t0) / 1000;
    pipe.dispose();
    if (values.out) writeWav16(values.out, clean, 16000);
    const lines = `${events.map((e) => JSON.stringify(e)).join('\n')}\n`;
    if (values.events) writeFileSync(values.events, lines);
    else process.stdout.write(lines);
    const audioS = mic.samples.length / 16000;
    console.error(
      `frontend: ${audioS.toFixed(1)} s of audio in ${secs.toFixed(2)} s (${Math.round(audioS / secs)}x real time), ` +
        `${events.filter((e) => e.type === 'speech_start').length} speech starts`,
    );
    return 0;
  },
};
