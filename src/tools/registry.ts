/**
 * Device-side tools the agent may call. A tool is a name, a description, JSON-schema parameters
 * (sent to the model) and a run function; argument validation happens here against the same
 * schema, so the model's mistakes come back to it as a clear error instead of reaching the tool.
 */
import type { ToolSpec } from '../cloud/provider.js';
import { validateArgs } from './validate.js';

export interface ToolRunContext {
  /** Aborted on timeout; long-running tools should honour it. */
  signal: AbortSignal;
  attempt: number;
}

export interface ToolDefinition<A = Record<string, unknown>> {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  run(args: A, ctx: ToolRunContext): Promise<unknown>;
  /** The question the terminal asks before running a `confirm` tool. */
  confirmQuestion?(args: A): string;
  /** Is a failure worth retrying (e.g. a network call)? Default: no. */
  retryable?(err: unknown): boolean;
}

export class ToolRegistry {
  private readonly tools = new Map<string, ToolDefinition>();

  register<A>(tool: ToolDefinition<A>): this {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name))
      throw new Error(`tool name ${JSON.stringify(tool.name)}: letters, digits, _ and - only (≤64)`);
    if (this.tools.has(tool.name)) throw new Error(`tool ${tool.name} registered twice`);
    this.tools.set(tool.name, tool as unknown as ToolDefinition);
    return this;
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  /** What the model is told about (denied tools are not offered at all). */
  specs(offered: (name: string) => boolean = () => true): ToolSpec[] {
    return [...this.tools.values()]
      .filter((t) => offered(t.name))
      .map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  }

  /** Parse and validate the model's argument string; returns the args or a message for the model. */
  parse(
    name: string,
    raw: string,
  ): { ok: true; args: Record<string, unknown> } | { ok: false; error: string } {
    const tool = this.tools.get(name);
    if (!tool) return { ok: false, error: `unknown tool ${name}` };
    let args: unknown;
    try {
      args = raw.trim() === '' ? {} : JSON.parse(raw);
    } catch {
      return { ok: false, error: 'arguments are not valid JSON' };
    }
    const problems = validateArgs(tool.parameters, args);
    return problems.length === 0
      ? { ok: true, args: args as Record<string, unknown> }
      : { ok: false, error: problems.join('; ') };
  }
}
