import { z } from 'zod';
import { DEFAULT_FLOWS } from '../../offline/default-flows.js';
import { buildGrammar } from '../../offline/grammar.js';
import { restart } from '../meta.js';

/**
 * A phrase the customer may say: words, `[optional words]`, `(one | other)` — the JSGF subset the
 * grammar builder understands. Lower case; letters, apostrophes, digits.
 */
const phrase = z
  .string()
  .min(1)
  .regex(/^[a-z0-9' [\]()|]+$/, 'lower-case words with [optional] and (a | b) groups only');

/** One step of the on-device dialog. */
export const dialogStateSchema = z.strictObject({
  /** What the terminal says on entering this state (espeak-ng unless `prompt` is given). */
  say: z.string().min(1),
  /** A recorded WAV (mono PCM16 or float) played instead of synthesising `say`; relative to promptsDir. */
  prompt: z.string().optional(),
  /** What entering this state does besides speaking. */
  action: z.enum(['none', 'handoff']).default('none'),
  /** Intent name → next state. `$repeat` says this state's prompt again; `$idle` stops talking. */
  on: z.record(z.string(), z.string()).default({}),
  /** Listen after speaking? A final state (e.g. after a hand-off) does not. */
  listen: z.boolean().default(true),
  /** No answer within this long after the prompt → `noInput` (or say it again). */
  noInputMs: z.number().int().min(1000).max(120_000).default(8000),
  /** Where a timeout or an utterance outside the expected intents goes. Default: `$repeat`. */
  noInput: z.string().default('$repeat'),
  /** Give up repeating after this many tries in a row → `fallback`. */
  maxRepeats: z.number().int().min(0).max(10).default(2),
  fallback: z.string().optional(),
});

export const dialogFlowSchema = z.strictObject({
  /** The state entered when the offline flow engages. */
  start: z.string().min(1),
  states: z.record(z.string(), dialogStateSchema),
  /** Intent → phrases. The JSGF grammar is built from these. */
  intents: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.array(phrase).min(1)),
});

export type DialogStateConfig = z.infer<typeof dialogStateSchema>;
export type DialogFlowConfig = z.infer<typeof dialogFlowSchema>;

export const offlineSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Which flow of `flows` this terminal runs (drive-thru, vehicle, or a site's own). */
    flow: z.string().min(1).default('drive-thru'),
    /** Site flows; merged over (and may replace) the built-in drive-thru and vehicle flows. */
    flows: z.record(z.string(), dialogFlowSchema).default({}),
    /** Link-health thresholds (see src/offline/README.md for why these numbers). */
    link: z
      .strictObject({
        /** The provider pings this often while connected. */
        pingIntervalMs: z.number().int().min(100).max(30_000).default(500),
        /** A ping unanswered this long → offline. */
        pongTimeoutMs: z.number().int().min(100).max(30_000).default(1200),
        /** A response expected and no server event for this long → offline. */
        silentServerMs: z.number().int().min(200).max(30_000).default(1500),
        /** First response event later than this → that response counts as slow (degraded). */
        slowResponseMs: z.number().int().min(100).max(30_000).default(1000),
        /** This many slow responses in a row → offline ("too slow" is as bad as gone). */
        slowResponsesOffline: z.number().int().min(1).max(20).default(2),
        /** Socket closed / connect refused and not back within this → offline. */
        reconnectGraceMs: z.number().int().min(0).max(10_000).default(400),
        /** At boot, the first connection gets this long before "not connected" counts as offline
         *  (a refused or failed first attempt ends it sooner). */
        startupGraceMs: z.number().int().min(0).max(60_000).default(5000),
        /** Hysteresis: healthy this long before degraded/offline returns to online. */
        recoverAfterMs: z.number().int().min(0).max(120_000).default(3000),
      })
      .prefault({}),
    speech: z
      .strictObject({
        /** espeak-ng voice and words per minute for prompts without a recording. */
        voice: z.string().default('en-us'),
        wpm: z.number().int().min(80).max(400).default(160),
        /** Directory of recorded prompts (state `prompt:` names are relative to it). */
        promptsDir: z.string().default(''),
        /** Output level of local prompts, 0..1. */
        gain: z.number().min(0).max(1).default(0.7),
      })
      .prefault({}),
    recogniser: restart(
      z
        .strictObject({
          command: z.string().default('pocketsphinx_continuous'),
          hmm: z.string().default('/usr/share/pocketsphinx/model/en-us/en-us'),
          dict: z.string().default('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'),
          /** Audio the decoder has not consumed for this long → it is hung: kill and restart. */
          hangAfterMs: z.number().int().min(200).max(60_000).default(1500),
          /** Silence frames (10 ms) that end an utterance. 50 (the decoder default) segments espeak-ng and
           *  human answers well; 40 cut "talk to a person" apart in tests (decoded as "pardon"). */
          endSilenceFrames: z.number().int().min(10).max(200).default(50),
        })
        .prefault({}),
    ),
    handoff: z
      .strictObject({
        /** A GPIO value file (sysfs `/sys/class/gpio/gpioN/value` or any file): "1" on hand-off, "0" after pulseMs. */
        gpioValuePath: z.string().default(''),
        pulseMs: z.number().int().min(0).max(60_000).default(1000),
        /** Command run on hand-off (argv); VOICETERM_HANDOFF_REASON and _TRANSCRIPT are in its environment. */
        command: z.array(z.string()).default([]),
      })
      .prefault({}),
    killSwitch: z
      .strictObject({
        /** Forced on from config (fleet commands set the persisted state instead). */
        forced: z.boolean().default(false),
        message: z
          .string()
          .min(1)
          .default('The assistant is not available right now. A member of staff will be with you shortly.'),
      })
      .prefault({}),
  })
  .prefault({})
  .superRefine((cfg, ctx) => {
    const flows: Record<string, unknown> = { ...DEFAULT_FLOWS, ...cfg.flows };
    if (!cfg.enabled) return;
    if (!flows[cfg.flow]) {
      ctx.addIssue({
        code: 'custom',
        path: ['flow'],
        message: `no flow named "${cfg.flow}" (have: ${Object.keys(flows).join(', ')})`,
      });
      return;
    }
    for (const [name, flow] of Object.entries(cfg.flows)) {
      for (const msg of checkFlow(flow))
        ctx.addIssue({ code: 'custom', path: ['flows', name], message: msg });
    }
  });

/** Cross-references inside one flow: every target state and intent exists. */
export function checkFlow(flow: DialogFlowConfig): string[] {
  const errs: string[] = [];
  const target = (where: string, t: string | undefined) => {
    if (t === undefined || t === '$repeat' || t === '$idle') return;
    if (!flow.states[t]) errs.push(`${where}: no state named "${t}"`);
  };
  target('start', flow.start);
  for (const [sname, s] of Object.entries(flow.states)) {
    for (const [intent, t] of Object.entries(s.on)) {
      if (!flow.intents[intent]) errs.push(`states.${sname}.on.${intent}: no intent named "${intent}"`);
      target(`states.${sname}.on.${intent}`, t);
    }
    target(`states.${sname}.noInput`, s.noInput);
    target(`states.${sname}.fallback`, s.fallback);
  }
  try {
    buildGrammar(flow.intents);
  } catch (e) {
    errs.push((e as Error).message);
  }
  return errs;
}

export type OfflineConfig = z.infer<typeof offlineSchema>;
