/**
 * The component list of `voiceterm run`, in start order (stop order is the reverse). Each subsystem
 * contributes its component here; constructors only capture config, start() does the work.
 */
import { AudioComponent } from '../audio/component.js';
import type { Config } from '../config/schema.js';
import { ConversationComponent } from '../conversation/component.js';
import { FleetComponent } from '../fleet/fleet-component.js';
import { UpdateComponent } from '../fleet/ota/update-component.js';
import { OfflineComponent } from '../offline/offline-component.js';
import type { Component } from './component.js';
import { DebugHooks } from './debug-hooks.js';
import { SystemMonitor } from './system-monitor.js';

export function buildComponents(_config: Config, env: NodeJS.ProcessEnv = process.env): Component[] {
  // Fleet right after the system monitor: it stops last, so it reports everyone else's stop.
  const list: Component[] = [new SystemMonitor(), new FleetComponent(env)];
  // Audio before everything that consumes frames (front-end, duplex engine).
  list.push(new AudioComponent());
  // Offline after audio (it listens to the mic and speaks locally when the cloud cannot).
  list.push(new OfflineComponent());
  // Conversation after offline (it wraps its cloud sessions with offline's link signals); with
  // cloud.provider none it connects nowhere.
  list.push(new ConversationComponent());
  if (env.VOICETERM_DEBUG_HOOKS === '1') list.push(new DebugHooks());
  // Updates last: its post-reboot health gate reads every other component (by name, from config).
  if (_config.update.enabled) list.push(new UpdateComponent());
  return list;
}
