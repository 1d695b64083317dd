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

/** Who says what in a corpus. */
export interface Talkers {
  agentLines: string[];
  customerLines: string[];
  agentVoices: string[];
  customerVoices: string[];
  /** espeak-ng words per minute, one drawn per talker per case; absent: 165 (the evaluation corpus,
   * whose cases must not change). */
  speeds?: number[];
}

/** The evaluation corpus (`bench frontend`). */
export const EVAL_TALKERS: Talkers = {
  agentLines: AGENT_LINES,
  customerLines: CUSTOMER_LINES,
  agentVoices: AGENT_VOICES,
  customerVoices: CUSTOMER_VOICES,
};

/** espeak-ng's English accents (the mbrola ones need voice databases Debian does not install). */
const ACCENTS = [
  'en-us',
  'en-gb',
  'en-gb-scotland',
  'en-gb-x-gbclan',
  'en-gb-x-gbcwmd',
  'en-gb-x-rp',
  'en-029',
  'en-us-nyc',
];
/** espeak-ng's voice variants that sound like a person (not the robots, whisper or croak). */
const VARIANTS = [
  ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'f1', 'f2', 'f3', 'f4', 'f5'],
  ...['adam', 'Alex', 'Alicia', 'Andrea', 'Andy', 'Annie', 'aunty', 'belinda', 'benjamin', 'caleb'],
  ...['david', 'ed', 'edward', 'grandma', 'grandpa', 'gustave', 'iven', 'Jacky', 'john', 'Lee'],
  ...['linda', 'Marco', 'max', 'Michael', 'Mike', 'norbert', 'paul', 'pedro', 'quincy', 'rob'],
  ...['robert', 'sandro', 'shelby', 'steph', 'travis', 'victor', 'zac'],
];

/**
 * Every accent × variant except the evaluation corpus's voices, split into the detector's training
 * voices and held-out validation voices (every fifth): thresholds are chosen on voices the detector
 * never trained on, as the evaluation's are. Agents and customers take alternate voices of each part.
 */
function voicePool(): { train: string[]; validate: string[] } {
  const evalVoices = new Set([...AGENT_VOICES, ...CUSTOMER_VOICES]);
  const all = ACCENTS.flatMap((a) => VARIANTS.map((v) => `${a}+${v}`)).filter((v) => !evalVoices.has(v));
  // a fixed shuffle (the split must not follow the accent or the variant)
  const key = (v: string) => {
    let h = 2166136261;
    for (let i = 0; i < v.length; i++) h = Math.imul(h ^ v.charCodeAt(i), 16777619) >>> 0;
    return h;
  };
  const shuffled = [...all].sort((a, b) => key(a) - key(b) || (a < b ? -1 : 1));
  return {
    train: shuffled.filter((_, i) => i % 5 !== 0),
    validate: shuffled.filter((_, i) => i % 5 === 0),
  };
}
const POOL = voicePool();
const even = <T>(xs: T[]) => xs.filter((_, i) => i % 2 === 0);
const odd = <T>(xs: T[]) => xs.filter((_, i) => i % 2 === 1);
const SPEEDS = [135, 150, 165, 180, 195];

/**
 * The near-end detector's training corpus (bench/ned-data.ts): no sentence and no voice in common
 * with the evaluation corpus, so the bench measures the detector on talkers and words it never saw.
 */
export const TRAINING_TALKERS: Talkers = {
  agentLines: [
    'Good evening, welcome to the drive through, what can I get for you?',
    'We have a special offer on the family meal until nine tonight.',
    'The large coffee comes with a free refill if you stay inside.',
    'Your order will be ready at the second window in about three minutes.',
    'I am sorry, the vanilla shake machine is being cleaned right now.',
    'Would you like to add a side salad or fries to that sandwich?',
    'The delivery address on your account is twelve Baker Street.',
    'Your train leaves from platform four at eleven fifteen tonight.',
    'I can transfer you to a colleague who knows more about insurance.',
    'The museum is closed on Mondays but open late on Thursdays.',
    'Please drive forward slowly and follow the signs to the exit.',
    'Your card ending in four seven two one has been charged.',
    'The charging station on level two is free for the next hour.',
    'Sure, I have added two cheeseburgers and a medium lemonade.',
    'Tickets for the evening show start at nineteen dollars.',
    'Let me read that back to you so we are sure it is right.',
  ],
  customerLines: [
    'Hang on, I did not order that.',
    'Could you say that again?',
    'Make it a large one please.',
    'Stop, stop, wrong address.',
    'Is there anything without nuts?',
    'Okay, thanks, that is all.',
    'Just a minute, my wife wants something.',
    'How much was that again?',
    'Cancel the last item please.',
    'No.',
    'Hey, excuse me!',
    'What about the kids menu?',
    'Um, actually, two of those.',
    'I think you misheard me.',
    'Can I talk to a person?',
    'Right, and a bottle of water.',
    'Where do I park?',
    'Hello? Are you still there?',
  ],
  agentVoices: even(POOL.train),
  customerVoices: odd(POOL.train),
  speeds: SPEEDS,
};

/**
 * Where the detector's thresholds are chosen (`bench frontend --talkers validation`): voices held
 * out of training and sentences of their own, so a threshold that holds here holds on new talkers.
 */
export const VALIDATION_TALKERS: Talkers = {
  agentLines: [
    'Your room is on the third floor, the lift is to your left.',
    'I found a table for four at eight o clock on Friday evening.',
    'The pharmacy closes at six but the night counter stays open.',
    'That comes to eleven pounds twenty, please pay at the next window.',
    'Your parcel was delivered to the neighbour at number fourteen.',
    'We also have oat milk and almond milk if you prefer.',
    'The next bus to the airport leaves in twenty five minutes.',
    'I will send a confirmation code to the number you gave me.',
  ],
  customerLines: [
    'Wait, not that one.',
    'Sorry, what did you say?',
    'Can you make it two?',
    'Oh, never mind, go on.',
    'Is it far from here?',
    'Hold it, I changed my mind.',
    'Yes.',
    'And a receipt please.',
  ],
  agentVoices: even(POOL.validate),
  customerVoices: odd(POOL.validate),
  speeds: SPEEDS,
};

/** Talker sets by name (`--talkers` of the benches). */
export const TALKER_SETS: Record<string, Talkers> = {
  eval: EVAL_TALKERS,
  training: TRAINING_TALKERS,
  validation: VALIDATION_TALKERS,
};

/** The talker set named `name` among `allowed` (a bench's `--talkers`), or an error naming the choices. */
export function talkersNamed(name: string, allowed = Object.keys(TALKER_SETS)): Talkers {
  if (!allowed.includes(name) || !TALKER_SETS[name])
    throw new Error(`--talkers: ${name} is not one of ${allowed.join(', ')}`);
  return TALKER_SETS[name];
}

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
