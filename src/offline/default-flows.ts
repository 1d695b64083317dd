/**
 * The built-in offline flows. A site's YAML (`offline.flows.<name>`) may replace them or add its own;
 * `offline.flow` picks the one a terminal runs. Kept as plain data (the config schema fills in the
 * per-state defaults) so this file has no imports and the schema can depend on it.
 *
 * Phrases are deliberately few and distinct: a JSGF grammar always returns *some* sentence, so
 * short look-alike phrases ("what", "no") attract noise. Every word must be in the pronunciation
 * dictionary (cmudict-en-us).
 */
export const DEFAULT_FLOWS = {
  'drive-thru': {
    start: 'unavailable',
    states: {
      unavailable: {
        say: 'Sorry, our ordering system is briefly unavailable. Would you like to talk to a crew member?',
        on: { yes: 'handoff', person: 'handoff', no: 'declined', repeat: '$repeat' },
        noInput: '$repeat',
        maxRepeats: 1,
        fallback: 'handoff',
      },
      declined: {
        say: 'Okay. Please wait a moment, or say talk to a person at any time.',
        on: { yes: 'handoff', person: 'handoff', repeat: '$repeat' },
        noInputMs: 20_000,
        noInput: 'unavailable',
      },
      handoff: {
        say: 'Thank you. A crew member will be with you shortly.',
        action: 'handoff',
        listen: false,
      },
    },
    intents: {
      yes: ['yes', 'yes please', 'yeah', 'sure', 'okay'],
      no: ['no', 'no thanks', 'no thank you', 'nope'],
      person: [
        '[i want to] talk to (a person | someone | a human | the crew)',
        '[a] crew member [please]',
        '[get me a] (person | human) please',
      ],
      repeat: ['repeat [that]', 'say that again', 'pardon'],
    },
  },
  vehicle: {
    start: 'unavailable',
    states: {
      unavailable: {
        say: 'The assistant is offline right now. You can say repeat, stop, or call support.',
        on: { repeat: '$repeat', stop: 'stopped', support: 'handoff' },
        noInput: 'stopped',
      },
      stopped: {
        say: 'Okay.',
        on: { repeat: 'unavailable', support: 'handoff' },
        noInputMs: 120_000,
        noInput: '$idle',
      },
      handoff: {
        say: 'Calling support now.',
        action: 'handoff',
        listen: false,
      },
    },
    intents: {
      repeat: ['repeat [that]', 'say that again', 'help'],
      stop: ['stop', 'cancel', 'be quiet', 'never mind'],
      support: ['call support', '(call | get) (help | someone)', 'talk to (a person | someone)'],
    },
  },
} as const;
