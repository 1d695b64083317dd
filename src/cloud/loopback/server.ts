/**
 * LoopbackCloud: the one allowed double of the cloud model. A WebSocket server on 127.0.0.1 that
 * speaks the documented events of both APIs (see ../README.md, "Loopback double"):
 *
 *   const cloud = new LoopbackCloud({ apiKey: 'k' });
 *   const baseUrl = await cloud.start();            // ws://127.0.0.1:PORT/v1
 *   cloud.script.replies.push({ text: 'Hi!' }, { toolCall: { name: 'add_item', arguments: {...} } });
 *   cloud.script.userTranscripts.push('yes');         // transcript of the customer's next turn
 *   cloud.goSilent(true);                             // stop answering, keep the socket open
 *   cloud.dropConnections();                          // TCP gone, no close frame (client sees 1006)
 *   cloud.expireSessions();                           // Realtime: session_expired + 1001; Live: session.closed expired
 *   cloud.sendRaw('{not json');                       // malformed / unknown events
 *   cloud.events / cloud.sessions                     // what the client sent, per session
 *   await cloud.stop();
 *
 * Paths: /v1/realtime?model=… (GA Realtime) and /v1/live/sessions (GPT-Live); the base path can be
 * anything ending in /v1 or /openai/v1 (Azure shape). Auth: `Authorization: Bearer KEY` or
 * `api-key: KEY`; a wrong key is refused with HTTP 401 before the upgrade.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { DEFAULT_LIVE_TIMING, LiveSim, type LiveTurnTiming } from './live-session.js';
import { RealtimeSim } from './realtime-session.js';
import { LoopbackScript, type RecordedClientEvent, type SessionInfo } from './script.js';
import type { AgentVoice, SimSession } from './session-base.js';

export interface LoopbackOptions {
  /** The key clients must present; '' accepts any. */
  apiKey?: string;
  /** Realtime sends agent audio faster than real time (default 4×); Live at real time (1×). */
  realtimePace?: number;
  livePace?: number;
  liveTiming?: Partial<LiveTurnTiming>;
  /** Live expires_at = start + this (default 3600 s). */
  liveLifetimeS?: number;
  /** The agent's voice (default: a deterministic speech-like signal, voice.ts). */
  agentVoice?: AgentVoice;
}

export class LoopbackCloud {
  readonly script = new LoopbackScript();
  readonly events: RecordedClientEvent[] = [];
  private readonly live = new Map<WebSocket, SimSession>();
  private readonly all: SimSession[] = [];
  private http?: Server;
  private wss?: WebSocketServer;
  private readonly t0 = performance.now();
  private seq = 0;
  /** Connection attempts seen (accepted or refused), with their time in ms since start. */
  readonly connectAttempts: number[] = [];

  constructor(private readonly opts: LoopbackOptions = {}) {}

  /** Starts listening on a free port; resolves to the base URL (ws://127.0.0.1:PORT/v1). */
  async start(): Promise<string> {
    // Pongs are ours to send: a silent (black-holed) service answers no pings either.
    const wss = new WebSocketServer({ noServer: true, autoPong: false });
    this.wss = wss;
    const http = createServer((_req, res) => {
      res.writeHead(426).end('WebSocket only');
    });
    this.http = http;
    http.on('upgrade', (req, socket, head) => {
      this.connectAttempts.push(this.now());
      const refuse = (code: number, text: string) => {
        socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      };
      const api = apiOf(req);
      if (!api) return refuse(404, 'Not Found');
      if (this.opts.apiKey && keyOf(req) !== this.opts.apiKey) return refuse(401, 'Unauthorized');
      if (this.refuseNext > 0) {
        this.refuseNext--;
        return refuse(503, 'Service Unavailable');
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, api));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return `ws://127.0.0.1:${(http.address() as AddressInfo).port}/v1`;
  }

  /** Refuse the next N connection attempts with HTTP 503 (a service outage). */
  refuseNext = 0;

  private now(): number {
    return performance.now() - this.t0;
  }

  private accept(ws: WebSocket, api: 'realtime' | 'live'): void {
    const deps = {
      ws,
      script: this.script,
      record: (e: RecordedClientEvent) => this.events.push(e),
      now: () => this.now(),
      id: `sess_${++this.seq}`,
      pace: api === 'realtime' ? (this.opts.realtimePace ?? 4) : (this.opts.livePace ?? 1),
      voice: this.opts.agentVoice,
    };
    const sim: SimSession =
      api === 'realtime'
        ? new RealtimeSim(deps, 'realtime')
        : new LiveSim(
            deps,
            { ...DEFAULT_LIVE_TIMING, ...this.opts.liveTiming },
            this.opts.liveLifetimeS ?? 3600,
          );
    this.live.set(ws, sim);
    this.all.push(sim);
    ws.on('message', (data) => {
      let e: unknown;
      try {
        e = JSON.parse(data.toString());
      } catch {
        if (!this.script.silent)
          ws.send(
            JSON.stringify({
              type: 'error',
              error: { type: 'invalid_request_error', code: 'invalid_json', message: 'Could not parse JSON' },
            }),
          );
        return;
      }
      if (typeof e !== 'object' || e === null || typeof (e as { type?: unknown }).type !== 'string') return;
      sim.onEvent(e as Record<string, unknown> & { type: string });
    });
    ws.on('ping', (data) => {
      if (!this.script.silent) ws.pong(data);
    });
    ws.on('close', () => {
      sim.closed();
      this.live.delete(ws);
    });
    ws.on('error', () => {});
    if (sim instanceof RealtimeSim) sim.start();
  }

  /** Every session ever opened, oldest first. */
  get sessions(): SessionInfo[] {
    return this.all.map((s) => s.info);
  }

  /** The simulation objects of open sessions (e.g. LiveSim.instructionsAppended). */
  get openSessions(): SimSession[] {
    return [...this.live.values()];
  }

  /** Client events of one type, optionally for one session. */
  sent(type: string, sessionId?: string): RecordedClientEvent[] {
    return this.events.filter((e) => e.type === type && (!sessionId || e.sessionId === sessionId));
  }

  goSilent(silent = true): void {
    this.script.silent = silent;
  }

  dropConnections(): void {
    for (const ws of this.live.keys()) ws.terminate();
  }

  expireSessions(): void {
    for (const s of this.live.values()) s.expire();
  }

  sendRaw(text: string): void {
    for (const ws of this.live.keys()) ws.send(text);
  }

  async stop(): Promise<void> {
    for (const ws of this.live.keys()) ws.terminate();
    this.wss?.close();
    const http = this.http;
    if (!http) return;
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    http.closeAllConnections();
    await closed;
  }
}

function apiOf(req: IncomingMessage): 'realtime' | 'live' | undefined {
  const path = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
  if (path.endsWith('/v1/realtime')) return 'realtime';
  if (path.endsWith('/v1/live/sessions')) return 'live';
  return undefined;
}

function keyOf(req: IncomingMessage): string {
  const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
  return bearer ? bearer[1] : String(req.headers['api-key'] ?? '');
}
