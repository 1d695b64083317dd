/** Talkers for the corpus: espeak-ng (Debian) synthesises, sox resamples to 16 kHz float. */
import { execFileSync } from 'node:child_process';

export const RATE = 16000;

/** Synthesise one sentence with an espeak-ng voice (e.g. "en-us+f3"), 16 kHz mono float, peak-normalised to 0.5. */
export function speak(text: string, voice: string, speed = 165, pitch = 50): Float32Array {
  const wav = execFileSync(
    'espeak-ng',
    ['-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout', text],
    {
      maxBuffer: 64 << 20,
    },
  );
  const raw = execFileSync('sox', ['-t', 'wav', '-', '-t', 'f32', '-r', String(RATE), '-c', '1', '-'], {
    input: wav,
    maxBuffer: 64 << 20,
  });
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4).slice();
  // espeak pads with silence: trim it so utterance intervals (the labels) are tight.
  let a = 0;
  let b = x.length;
  while (a < b && Math.abs(x[a]) < 1e-3) a++;
  while (b > a && Math.abs(x[b - 1]) < 1e-3) b--;
  const y = x.slice(a, b);
  let peak = 1e-9;
  for (const v of y) peak = Math.max(peak, Math.abs(v));
  for (let i = 0; i < y.length; i++) y[i] *= 0.5 / peak;
  return y;
}

export const AGENT_LINES = [
  'Thank you for calling, I can help you with your booking today.',
  'Your appointment is confirmed for Tuesday at half past ten in the morning.',
  'I have found three options that match what you asked for.',
  'The first one is a little more expensive but it includes breakfast.',
  'Please keep your reference number ready when you arrive at the desk.',
  'Let me check the availability for the weekend, this will take a moment.',
  'The parking garage is open from six in the morning until midnight.',
  'Would you like me to send the details to your phone as a message?',
  'The weather forecast for tomorrow says light rain in the afternoon.',
  'Our support team is available every day of the week except holidays.',
  'I can also add a reminder one hour before the appointment starts.',
  'The total comes to forty two euros and fifty cents including tax.',
];

export const CUSTOMER_LINES = [
  'Wait, stop, that is not what I meant.',
  'Sorry, can you repeat the time please?',
  'No no, I want the cheaper one.',
  'Hold on a second.',
  'Actually, make it Wednesday instead.',
  'Excuse me, I have a question.',
  'Yes, please send it to my phone.',
  'Can I pay by card?',
  'That sounds good, go ahead.',
];

/** Agent voice vs customer voices: always different espeak-ng voices. */
export const AGENT_VOICES = ['en-us+f3', 'en-gb+f2', 'en-us+m3'];
export const CUSTOMER_VOICES = [
  'en-gb-scotland+m1',
  'en-029+f4',
  'en-us-nyc+m5',
  'en-gb-x-rp+f1',
  'en-gb+m2',
  'en-us+m7',
];

const spoken = new Map<string, Float32Array>();
/** speak() once per (text, voice, speed) in this process: corpora and benches reuse their lines. */
export function speakCached(text: string, voice: string, speed = 165): Float32Array {
  const key = `${voice}|${speed}|${text}`;
  let x = spoken.get(key);
  if (!x) {
    x = speak(text, voice, speed);
    spoken.set(key, x);
  }
  return x;
}
