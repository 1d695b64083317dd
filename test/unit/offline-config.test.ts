import { describe, expect, it } from 'vitest';
import { offlineSchema } from '../../src/config/sections/offline.js';
import { resolveFlow } from '../../src/offline/offline-component.js';

describe('offline config section', () => {
  it('defaults to the drive-thru flow with the documented thresholds', () => {
    const c = offlineSchema.parse(undefined);
    expect(c.flow).toBe('drive-thru');
    expect(c.link).toMatchObject({ pongTimeoutMs: 1200, silentServerMs: 1500, recoverAfterMs: 3000 });
    const flow = resolveFlow(c);
    expect(flow.start).toBe('unavailable');
    expect(flow.states.handoff.action).toBe('handoff');
    expect(resolveFlow(offlineSchema.parse({ flow: 'vehicle' })).intents.support).toBeDefined();
  });

  it('a site flow from YAML is validated: unknown states, intents and bad phrases are named', () => {
    const r = offlineSchema.safeParse({
      flow: 'kiosk',
      flows: {
        kiosk: {
          start: 'hello',
          states: { hello: { say: 'Hi', on: { yes: 'nowhere', maybe: 'hello' } } },
          intents: { yes: ['yes (please'] },
        },
      },
    });
    expect(r.success).toBe(false);
    const text = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n') ?? '';
    expect(text).toMatch(/flows\.kiosk: states\.hello\.on\.yes: no state named "nowhere"/);
    expect(text).toMatch(/states\.hello\.on\.maybe: no intent named "maybe"/);
    expect(text).toMatch(/intents\.yes\[0\]: "yes \(please": missing "\)"/);
  });

  it('an unknown flow name is an error listing the known ones', () => {
    const r = offlineSchema.safeParse({ flow: 'spaceship' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/no flow named "spaceship" \(have: drive-thru, vehicle\)/);
  });

  it('a valid site flow replaces the built-in one of the same name', () => {
    const c = offlineSchema.parse({
      flows: {
        'drive-thru': {
          start: 'a',
          states: {
            a: { say: 'We are offline. Say help.', on: { help: 'b' } },
            b: { say: 'Calling.', action: 'handoff', listen: false },
          },
          intents: { help: ['help'] },
        },
      },
    });
    expect(resolveFlow(c).states.a.say).toBe('We are offline. Say help.');
  });
});
