/**
 * The grammar recogniser against the real Debian pocketsphinx: espeak-ng speech in, intents out;
 * a crashed (SIGKILL) or hung (SIGSTOP) decoder is detected, restarted, and recognises again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialogFlowSchema } from '../../src/config/sections/offline.js';
import { DEFAULT_FLOWS } from '../../src/offline/default-flows.js';
import { buildGrammar, intentOf } from '../../src/offline/grammar.js';
import { GrammarRecogniser } from '../../src/offline/recogniser.js';
import { utterance } from '../helpers/offline-speech.js';

const dir = mkdtempSync(join(tmpdir(), 'vt-offline-rec-'));
const grammar = buildGrammar(dialogFlowSchema.parse(DEFAULT_FLOWS['drive-thru']).intents);
const jsgfPath = join(dir, 'dialog.gram');
writeFileSync(jsgfPath, grammar.jsgf);

const rec = new GrammarRecogniser({
  command: 'pocketsphinx_continuous',
  hmm: '/usr/share/pocketsphinx/model/en-us/en-us',
  dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict',
  jsgfPath,
  workDir: dir,
  endSilenceFrames: 50,
  hangAfterMs: 800,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Feed in 100 ms pieces (a little faster than real time) until a result arrives. */
async function say(samples: Float32Array, timeoutMs = 15_000): Promise<string> {
  const got = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no result')), timeoutMs);
    rec.once('result', (text) => {
      clearTimeout(t);
      resolve(text);
    });
  });
  for (let i = 0; i < samples.length; i += 1600) {
    rec.feed(samples.subarray(i, i + 1600), 16000);
    await sleep(20);
  }
  return got;
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

let person: Float32Array;
let yes: Float32Array;

beforeAll(async () => {
  [person, yes] = await Promise.all([utterance('talk to a person'), utterance('yes please')]);
  rec.start();
  await waitFor(() => rec.stats().running);
});

afterAll(async () => {
  await rec.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('grammar recogniser (pocketsphinx_continuous)', () => {
  it('recognises spoken answers as the right intents', async () => {
    expect(intentOf(grammar, await say(person))).toBe('person');
    expect(intentOf(grammar, await say(yes))).toBe('yes');
  });

  it('a crashed decoder is restarted and recognises again', async () => {
    const pid = rec.stats().pid as number;
    const restarted = new Promise((r) => rec.once('restarted', r));
    process.kill(pid, 'SIGKILL');
    expect(await restarted).toBe('crash');
    await waitFor(() => rec.stats().running && rec.stats().pid !== pid);
    expect(rec.stats().crashes).toBe(1);
    expect(intentOf(grammar, await say(person))).toBe('person');
  });

  it('a hung decoder (stopped, reads nothing) is detected, killed and restarted', async () => {
    const pid = rec.stats().pid as number;
    process.kill(pid, 'SIGSTOP');
    const restarted = new Promise((r) => rec.once('restarted', r));
    const ticker = setInterval(() => rec.checkAlive(), 100);
    try {
      for (let i = 0; i < 30 && rec.stats().hangs === 0; i++) {
        rec.feed(yes.subarray(0, 1600), 16000);
        await sleep(100);
      }
      expect(await restarted).toBe('hang');
    } finally {
      clearInterval(ticker);
    }
    expect(rec.stats().hangs).toBe(1);
    expect(rec.stats().lastError).toMatch(/read nothing/);
    await waitFor(() => rec.stats().running && rec.stats().pid !== pid);
    expect(() => process.kill(pid, 0)).toThrow(); // the stuck one is gone
    expect(intentOf(grammar, await say(yes))).toBe('yes');
  });

  it('a missing decoder binary is reported, not thrown', async () => {
    const bad = new GrammarRecogniser({
      ...(rec as unknown as { opt: object }).opt,
      command: 'no-such-pocketsphinx',
    } as never);
    const restarted = new Promise((r) => bad.once('restarted', r));
    bad.start();
    expect(await restarted).toBe('crash');
    expect(bad.stats().lastError).toMatch(/ENOENT/);
    await bad.stop();
  });
});
