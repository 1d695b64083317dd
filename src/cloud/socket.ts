/**
 * The WebSocket edge shared by both adapters: URL + auth headers (OpenAI Bearer or Azure api-key,
 * so an operator's relay or Azure work by configuration only), a connect timeout, JSON framing
 * where a malformed message becomes an 'ignored' event instead of an exception, and close codes
 * mapped to a CloseReason.
 */
import WebSocket from 'ws';
import type { CloseReason, ProviderEvent, ProviderListener } from './provider.js';

export interface EndpointOptions {
  /** e.g. wss://api.openai.com/v1 or wss://<resource>.openai.azure.com/openai/v1 */
  baseUrl: string;
  auth: 'bearer' | 'azure-api-key';
  apiKey: string;
  connectTimeoutMs?: number;
  /**
   * WebSocket ping every this many ms while open (0 = none). A half-open TCP connection (NAT
   * timeout, tunnel gone) closes nothing, so without pings a dead link is only noticed when an
   * answer fails to come. Each ping and pong is reported as a `keepalive` event (link health).
   */
  pingIntervalMs?: number;
  /** No pong for this long → the socket is terminated and reported `dropped` (backstop; 0 = never). */
  deadAfterMs?: number;
}

export function authHeaders(opts: EndpointOptions): Record<string, string> {
  return opts.auth === 'azure-api-key'
    ? { 'api-key': opts.apiKey }
    : { Authorization: `Bearer ${opts.apiKey}` };
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Close codes: 1001 after session_expired (Realtime), 4000-range policy codes, 1006 no close frame. */
export function closeReasonOf(code: number, expiredSeen: boolean): CloseReason {
  if (expiredSeen) return 'expired';
  if (code === 1000) return 'client';
  if (code === 1006) return 'dropped';
  if (code === 4001 || code === 1008) return 'auth';
  return 'server';
}

export abstract class JsonSocket {
  protected ws?: WebSocket;
  private readonly listeners = new Set<ProviderListener>();
  protected expiredSeen = false;
  private closedEmitted = false;
  private closingByUs = false;
  private keepalive?: ReturnType<typeof setInterval>;
  /** Why we terminated the socket ourselves (dead peer), for the `closed` event's detail. */
  private deadReason?: string;

  constructor(protected readonly endpoint: EndpointOptions) {}

  on(listener: ProviderListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  protected emit(event: ProviderEvent): void {
    for (const l of this.listeners) l(event);
  }

  /** Open the socket; `onOpen` sends the session set-up; resolves when `isReady` fires (see markReady). */
  protected open(url: string, onOpen: () => void): Promise<void> {
    this.closedEmitted = false;
    this.closingByUs = false;
    this.expiredSeen = false;
    this.deadReason = undefined;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(url, {
        headers: authHeaders(this.endpoint),
        handshakeTimeout: this.endpoint.connectTimeoutMs ?? 5000,
      });
      this.ws = ws;
      const timer = setTimeout(
        () => fail(new Error(`no session within ${this.endpoint.connectTimeoutMs ?? 5000} ms`)),
        this.endpoint.connectTimeoutMs ?? 5000,
      );
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners('message');
        ws.terminate();
        reject(err);
      };
      this.readyHook = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      ws.on('unexpected-response', (_req, res) =>
        fail(new Error(`HTTP ${res.statusCode} from ${url.replace(/\?.*/, '')}`)),
      );
      ws.on('error', (err) => fail(err));
      ws.on('open', () => {
        this.startKeepalive(ws);
        try {
          onOpen();
        } catch (err) {
          fail(err as Error);
        }
      });
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : data.toString();
        let msg: unknown;
        try {
          msg = JSON.parse(text);
        } catch {
          this.emit({ type: 'ignored', reason: 'malformed JSON', raw: text.slice(0, 200) });
          return;
        }
        if (typeof msg !== 'object' || msg === null || typeof (msg as { type?: unknown }).type !== 'string') {
          this.emit({ type: 'ignored', reason: 'no event type', raw: text.slice(0, 200) });
          return;
        }
        try {
          this.handle(msg as { type: string });
        } catch (err) {
          // A shape we did not expect inside a known event: skip it, never crash the session.
          this.emit({
            type: 'ignored',
            reason: `bad ${(msg as { type: string }).type}: ${(err as Error).message}`,
            raw: text.slice(0, 200),
          });
        }
      });
      ws.on('close', (code, reason) => {
        this.stopKeepalive();
        if (!settled) fail(new Error(`closed ${code} ${reason.toString()} before the session started`));
        if (this.ws === ws) this.ws = undefined;
        if (this.closedEmitted) return;
        this.closedEmitted = true;
        this.onClosed();
        this.emit({
          type: 'closed',
          reason: this.closingByUs ? 'client' : closeReasonOf(code, this.expiredSeen),
          code,
          detail: this.deadReason ?? reason.toString(),
        });
      });
    });
  }

  private readyHook?: () => void;

  private startKeepalive(ws: WebSocket): void {
    const every = this.endpoint.pingIntervalMs ?? 0;
    if (every <= 0) return;
    const deadAfter = this.endpoint.deadAfterMs ?? 0;
    let unansweredSince: number | undefined;
    ws.on('pong', () => {
      unansweredSince = undefined;
      this.emit({ type: 'keepalive', signal: 'pong' });
    });
    this.stopKeepalive();
    this.keepalive = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const now = performance.now();
      if (deadAfter > 0 && unansweredSince !== undefined && now - unansweredSince >= deadAfter) {
        this.deadReason = `no pong for ${Math.round(now - unansweredSince)} ms`;
        ws.terminate(); // 'close' follows with 1006 → reported as dropped; the keeper reconnects
        return;
      }
      try {
        ws.ping();
      } catch {
        return; // closing under us: 'close' reports it
      }
      unansweredSince ??= now;
      this.emit({ type: 'keepalive', signal: 'ping' });
    }, every);
    this.keepalive.unref?.();
  }

  private stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }

  /** Called by the adapter when the server confirmed the session. */
  protected markReady(): void {
    this.readyHook?.();
  }

  protected send(event: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(event));
  }

  async close(): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    this.closingByUs = true;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.beforeClose();
      ws.close(1000, 'client closing');
    });
  }

  /** Adapter-specific event handling; throwing here is caught and reported as 'ignored'. */
  protected abstract handle(msg: { type: string }): void;
  protected onClosed(): void {}
  protected beforeClose(): void {}
}
