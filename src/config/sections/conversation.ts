import { z } from 'zod';

/** The duplex engine (src/conversation/): barge-in policy and turn-taking. */
export const conversationSchema = z
  .strictObject({
    bargeIn: z
      .strictObject({
        /** Consecutive frames (10 ms) the front-end must flag near-end speech before the agent pauses. */
        onsetFrames: z.number().int().min(1).max(20).default(1),
        /** Speech while paused that makes it a real interruption; backchannels ("mm-hmm") are shorter. */
        confirmMs: z.number().int().min(100).max(2000).default(500),
        /** Silence while paused that releases a false/backchannel stop (playback resumes where it paused). */
        releaseMs: z.number().int().min(50).max(2000).default(250),
        /** Silence that releases a pause only the front-end's level onset supported (echo burst, click). */
        soundReleaseMs: z.number().int().min(20).max(2000).default(120),
        /** Longest pause without confirmation. */
        maxPauseMs: z.number().int().min(200).max(5000).default(1200),
        /** GPT-Live: playback gain while an interruption is pending (the model decides whether to yield). */
        duckGain: z.number().min(0).max(1).default(0.2),
        backchannelMinMs: z.number().int().min(0).max(1000).default(100),
        /** After the onset, frames count as speech only with this VAD probability (ignores the decision's hangover). */
        speechProbMin: z.number().min(0).max(1).default(0.5),
        /** Also pause on the canceller's double-talk flag (earlier; the pause is reversible). */
        onsetOnDoubleTalk: z.boolean().default(false),
        /** Also pause when the VAD probability alone reaches this (0 = off); earlier than the echo-aware decision. */
        onsetProb: z.number().min(0).max(1).default(0),
      })
      .prefault({}),
    turn: z
      .strictObject({
        /** Silence after customer speech that ends the turn (Realtime: commit + response.create). */
        endOfTurnMs: z.number().int().min(100).max(5000).default(500),
        minTurnMs: z.number().int().min(0).max(2000).default(150),
        /** Agent audio written ahead into the device; small so pause/flush act on little. */
        deviceAheadMs: z.number().int().min(10).max(500).default(40),
      })
      .prefault({}),
    /**
     * A conversation holds the conversation lock (no update reboot, no remote restart) until nothing
     * conversational has happened for this long: a customer reading the menu is still there.
     */
    lockIdleS: z.number().min(1).max(600).default(30),
  })
  .prefault({});
