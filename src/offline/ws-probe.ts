/**
 * Wires a `ws` WebSocket to LinkSignals: pings on an interval (WebSocket control frames, answered
 * by every server and by the loopback double without its cooperation), and reports pongs, messages,
 * close and error. A RealtimeProvider adapter attaches this to its socket; it adds its
 * response-expected/started/done calls itself because only it knows the protocol.
 */
import type WebSocket from 'ws';
import type { LinkSignals } from './link-health.js';

export interface ProbeHandle {
  stop(): void;
}

export function attachWebSocketProbe(
  ws: WebSocket,
  signals: LinkSignals,
  pingIntervalMs: number,
  now: () => number = () => performance.now(),
): ProbeHandle {
  const onMessage = () => signals.serverEvent(now());
  const onPong = () => signals.pong(now());
  const onClose = (code: number) => {
    clearInterval(timer);
    signals.closed(now(), `code ${code}`);
  };
  const onError = (err: Error) => signals.closed(now(), err.message);
  ws.on('message', onMessage);
  ws.on('pong', onPong);
  ws.on('close', onClose);
  ws.on('error', onError);
  const timer = setInterval(() => {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.ping();
      signals.pingSent(now());
    } catch {
      // a socket closing under us: 'close' reports it
    }
  }, pingIntervalMs);
  timer.unref?.();
  return {
    stop() {
      clearInterval(timer);
      ws.off('message', onMessage);
      ws.off('pong', onPong);
      ws.off('close', onClose);
      ws.off('error', onError);
    },
  };
}
