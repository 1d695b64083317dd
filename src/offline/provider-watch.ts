/**
 * Feeds LinkSignals from a RealtimeProvider without changing it: subscribes to its events and
 * wraps the two calls that tell us something (connect → connected/connect failed; commitTurn → a
 * response is now due). The session keeper wraps its provider once:
 *
 *   const provider = watchProvider(rawProvider, offline.linkSignals);
 *
 * For GPT-Live (the model decides turns, commitTurn is a no-op), the duplex engine's end of a
 * customer turn should call `signals.responseExpected()` itself. The adapters' WebSocket pings
 * (cloud.keepalive) arrive as `keepalive` events → pingSent/pong.
 */
import type { ProviderEvent, RealtimeProvider, SessionStartOptions } from '../cloud/provider.js';
import type { LinkSignals } from './link-health.js';

export function providerEventToSignals(e: ProviderEvent, s: LinkSignals, now: number): void {
  switch (e.type) {
    case 'ready':
      s.connected(now);
      s.serverEvent(now);
      break;
    case 'response.started':
      s.responseStarted(now);
      break;
    case 'response.done':
      s.responseDone(now);
      break;
    case 'keepalive':
      if (e.signal === 'ping') s.pingSent(now);
      else s.pong(now);
      break;
    case 'closed':
      if (e.reason !== 'client') s.closed(now, `${e.reason}${e.code ? ` (${e.code})` : ''}`);
      break;
    default:
      s.serverEvent(now);
  }
}

export function watchProvider<P extends RealtimeProvider>(
  provider: P,
  signals: LinkSignals,
  now: () => number = () => performance.now(),
): P {
  provider.on((e) => providerEventToSignals(e, signals, now()));
  return new Proxy(provider, {
    get(target, prop, receiver) {
      if (prop === 'connect') {
        return async (opts: SessionStartOptions) => {
          try {
            await target.connect(opts);
          } catch (err) {
            signals.connectFailed(now(), (err as Error).message);
            throw err;
          }
        };
      }
      if (prop === 'commitTurn') {
        return () => {
          signals.responseExpected(now());
          target.commitTurn();
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
