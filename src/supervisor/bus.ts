/**
 * The typed event bus that carries domain events between components (speech started, barge-in,
 * tool call, link down…). Fleet telemetry and session traces subscribe here instead of being
 * called from everywhere.
 *
 * Subsystems add their events by augmenting `BusEvents` from their own folder:
 *
 *   declare module '../supervisor/bus.js' {
 *     interface BusEvents { 'audio.device': { state: 'open' | 'lost' } }
 *   }
 */
import { EventEmitter } from 'node:events';
import type { ComponentState } from './component.js';

export interface BusEvents {
  'component.state': { component: string; state: ComponentState; error?: string };
  'supervisor.status': { line: string };
}

type Handler<T> = (payload: T) => void;

export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly onError: (event: string, err: unknown) => void;

  constructor(onError: (event: string, err: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(100);
    this.onError = onError;
  }

  /** Subscribe; returns the unsubscribe function. A throwing handler never breaks the emitter. */
  on<K extends keyof BusEvents>(event: K, handler: Handler<BusEvents[K]>): () => void {
    const safe = (p: BusEvents[K]) => {
      try {
        handler(p);
      } catch (err) {
        this.onError(event as string, err);
      }
    };
    this.emitter.on(event as string, safe);
    return () => this.emitter.off(event as string, safe);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.emitter.emit(event as string, payload);
  }
}
