/**
 * Example tools for a drive-thru terminal, showing the pattern: `add_item` (allowed: cheap and
 * reversible), `hand_off_to_crew` (needs a spoken yes: it pulls a person off the line), and
 * `apply_discount` (denied by default: money). The order lives in memory here; a real deployment
 * would call the point-of-sale system in run() and mark network errors retryable.
 */

import type { ToolDecision } from './policy.js';
import type { ToolDefinition } from './registry.js';

export interface OrderLine {
  item: string;
  quantity: number;
  size?: string;
}

export class DriveThruOrder {
  readonly lines: OrderLine[] = [];
  handoffs: string[] = [];
}

export const DRIVE_THRU_POLICIES: Record<string, ToolDecision> = {
  add_item: 'allow',
  hand_off_to_crew: 'confirm',
  apply_discount: 'deny',
};

export function driveThruTools(order: DriveThruOrder): ToolDefinition[] {
  const addItem: ToolDefinition<OrderLine & { note?: string }> = {
    name: 'add_item',
    description: 'Add an item to the customer order.',
    parameters: {
      type: 'object',
      properties: {
        item: { type: 'string', maxLength: 80 },
        quantity: { type: 'integer', minimum: 1, maximum: 20 },
        size: { type: 'string', enum: ['small', 'medium', 'large'] },
        note: { type: 'string', maxLength: 200 },
      },
      required: ['item', 'quantity'],
      additionalProperties: false,
    },
    async run(args) {
      order.lines.push({
        item: args.item,
        quantity: args.quantity,
        ...(args.size ? { size: args.size } : {}),
      });
      return { lines: order.lines.length };
    },
  };
  const handOff: ToolDefinition<{ reason: string; callback_phone?: string }> = {
    name: 'hand_off_to_crew',
    description: 'Hand the conversation to a crew member (a person).',
    parameters: {
      type: 'object',
      properties: {
        reason: { type: 'string', maxLength: 200 },
        callback_phone: { type: 'string', maxLength: 40 },
      },
      required: ['reason'],
      additionalProperties: false,
    },
    confirmQuestion: () => 'Would you like me to get a crew member for you?',
    async run(args) {
      order.handoffs.push(args.reason);
      return { queued: true };
    },
  };
  const discount: ToolDefinition<{ percent: number }> = {
    name: 'apply_discount',
    description: 'Apply a discount to the order.',
    parameters: {
      type: 'object',
      properties: { percent: { type: 'integer', minimum: 1, maximum: 100 } },
      required: ['percent'],
    },
    async run() {
      throw new Error('discounts are applied by the crew');
    },
  };
  // Each tool validates its own argument type; the registry sees them as plain objects.
  return [addItem, handOff, discount] as unknown as ToolDefinition[];
}
