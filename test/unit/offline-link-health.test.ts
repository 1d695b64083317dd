import { describe, expect, it } from 'vitest';
import { LinkHealth, type LinkThresholds } from '../../src/offline/link-health.js';
import { nextMode } from '../../src/offline/mode.js';

const T: LinkThresholds = {
  pongTimeoutMs: 1200,
  silentServerMs: 1500,
  slowResponseMs: 1000,
  slowResponsesOffline: 2,
  reconnectGraceMs: 400,
  recoverAfterMs: 3000,
};

function healthy(at = 0): LinkHealth {
  const h = new LinkHealth(T, at, 'online');
  h.connected(at);
  return h;
}

describe('link health', () => {
  it('starts offline until connected, then needs recoverAfterMs of health (hysteresis)', () => {
    const h = new LinkHealth(T, 0);
    expect(h.evaluate(0).state).toBe('offline');
    h.connected(100);
    expect(h.evaluate(200).state).toBe('offline');
    expect(h.evaluate(3100).state).toBe('offline');
    expect(h.evaluate(3300).state).toBe('online');
  });

  it('a silent server while a response is due → offline after silentServerMs, not before', () => {
    const h = healthy();
    h.responseExpected(1000);
    expect(h.evaluate(2001).state).toBe('degraded'); // pending longer than slowResponseMs
    expect(h.evaluate(2499).state).toBe('degraded');
    const v = h.evaluate(2500);
    expect(v.state).toBe('offline');
    expect(v.reason).toMatch(/server silent for 1500 ms/);
  });

  it('server events (audio deltas) keep a long response alive', () => {
    const h = healthy();
    h.responseExpected(0);
    h.responseStarted(300);
    for (let t = 400; t < 5000; t += 500) {
      h.serverEvent(t);
      expect(h.evaluate(t + 100).state).toBe('online');
    }
  });

  it('an unanswered ping → offline after pongTimeoutMs', () => {
    const h = healthy();
    h.pingSent(0);
    expect(h.evaluate(1100).state).toBe('online');
    expect(h.evaluate(1200).state).toBe('offline');
  });

  it('answered pings keep it online', () => {
    const h = healthy();
    for (let t = 0; t < 10_000; t += 500) {
      h.pingSent(t);
      h.pong(t + 30);
      expect(h.evaluate(t + 400).state).toBe('online');
    }
  });

  it('a closed socket is degraded during the reconnect grace, offline after it', () => {
    const h = healthy();
    h.closed(1000, '1006');
    expect(h.evaluate(1100).state).toBe('degraded');
    const v = h.evaluate(1400);
    expect(v).toMatchObject({ state: 'offline' });
    expect(v.reason).toMatch(/socket closed: 1006/);
  });

  it('a quick reconnect inside the grace does not go offline', () => {
    const h = healthy();
    h.closed(1000, '1006');
    expect(h.evaluate(1200).state).toBe('degraded');
    h.connected(1300);
    expect(h.evaluate(1350).state).toBe('degraded');
    expect(h.evaluate(4400).state).toBe('online');
  });

  it('at boot the first connection gets the startup grace; a failed first attempt ends it', () => {
    const h = new LinkHealth({ ...T, startupGraceMs: 5000 }, 0, 'online');
    expect(h.evaluate(4000).state).toBe('degraded');
    expect(h.evaluate(5000).reason).toMatch(/not connected yet/);
    const k = new LinkHealth({ ...T, startupGraceMs: 5000 }, 0, 'online');
    k.connectFailed(1000, 'ECONNREFUSED');
    expect(k.evaluate(1400).state).toBe('offline');
  });

  it('refused connections → offline', () => {
    const h = new LinkHealth(T, 0, 'online');
    h.connectFailed(0, 'ECONNREFUSED');
    expect(h.evaluate(399).state).toBe('degraded');
    expect(h.evaluate(400).reason).toMatch(/connect failed: ECONNREFUSED/);
  });

  it('one slow response → degraded; the second slow one → offline while it is still pending', () => {
    const h = healthy();
    h.responseExpected(0);
    h.responseStarted(1500);
    expect(h.evaluate(1600)).toMatchObject({ state: 'degraded', lastResponseMs: 1500 });
    h.responseDone(2000);
    h.responseExpected(3000);
    expect(h.evaluate(3900).state).toBe('degraded');
    expect(h.evaluate(4001).state).toBe('offline');
  });

  it('does not flap: health must last recoverAfterMs unbroken, any problem restarts the clock', () => {
    const h = healthy();
    h.closed(0, 'x');
    expect(h.evaluate(500).state).toBe('offline');
    h.connected(600);
    expect(h.evaluate(2000).state).toBe('offline');
    h.pingSent(2100);
    expect(h.evaluate(3400).state).toBe('offline'); // pong late: clock restarts
    h.pong(3500);
    expect(h.evaluate(3600).state).toBe('offline');
    expect(h.evaluate(6500).state).toBe('offline');
    expect(h.evaluate(6600).state).toBe('online');
  });

  it('slowness is remembered across a long turn while the cloud still serves (only a fast answer clears it)', () => {
    const h = healthy();
    h.responseExpected(0);
    h.responseStarted(1500);
    h.responseDone(6000);
    expect(h.evaluate(20_000).state).toBe('degraded');
    h.responseExpected(20_000);
    expect(h.evaluate(21_001).state).toBe('offline');
    const k = healthy();
    k.responseExpected(0);
    k.responseStarted(1500);
    expect(k.evaluate(1600).state).toBe('degraded');
    k.responseExpected(3000);
    k.responseStarted(3200); // fast: clears it
    expect(k.evaluate(3300).state).toBe('degraded'); // hysteresis still applies
    expect(k.evaluate(6300).state).toBe('online');
  });

  it('offline for slowness recovers once the slow evidence ages out', () => {
    const h = healthy();
    for (const t0 of [0, 2000]) {
      h.responseExpected(t0);
      h.responseStarted(t0 + 1500);
      h.responseDone(t0 + 1600);
    }
    expect(h.evaluate(3600).state).toBe('offline');
    expect(h.evaluate(3500 + 6000).state).toBe('offline'); // evidence forgotten now, clock starts
    expect(h.evaluate(3500 + 6000 + 3000).state).toBe('online');
  });
});

describe('mode decision', () => {
  const base = { link: 'online' as const, killSwitch: false, atTurnBoundary: true };
  it('cloud → offline only when the link is offline (degraded keeps the cloud)', () => {
    expect(nextMode('cloud', { ...base, link: 'degraded' })).toBe('cloud');
    expect(nextMode('cloud', { ...base, link: 'offline', atTurnBoundary: false })).toBe('offline');
  });
  it('offline → cloud only when online and at a turn boundary', () => {
    expect(nextMode('offline', { ...base, atTurnBoundary: false })).toBe('offline');
    expect(nextMode('offline', { ...base, link: 'degraded' })).toBe('offline');
    expect(nextMode('offline', base)).toBe('cloud');
  });
  it('the kill switch wins at once; releasing it waits for the message to end', () => {
    expect(nextMode('cloud', { ...base, killSwitch: true, atTurnBoundary: false })).toBe('killed');
    expect(nextMode('offline', { ...base, killSwitch: true })).toBe('killed');
    expect(nextMode('killed', { ...base, atTurnBoundary: false })).toBe('killed');
    expect(nextMode('killed', base)).toBe('cloud');
    expect(nextMode('killed', { ...base, link: 'offline' })).toBe('offline');
  });
});
