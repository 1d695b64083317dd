/**
 * The component list of `voiceterm run`, in start order (stop order is the reverse). Each subsystem
 * contributes its component here; constructors only capture config, start() does the work.
 */
import type { Config } from '../config/schema.js';
import type { Component } from './component.js';
import { DebugHooks } from './debug-hooks.js';
import { SystemMonitor } from './system-monitor.js';

export function buildComponents(_config: Config, env: NodeJS.ProcessEnv = process.env): Component[] {
  const list: Component[] = [new SystemMonitor()];
  if (env.VOICETERM_DEBUG_HOOKS === '1') list.push(new DebugHooks());
  return list;
}
