/**
 * Remote commands: `<prefix>/<id>/cmd/<name>` → `<prefix>/<id>/cmd/<name>/response`.
 *
 * Each command is registered with a zod schema for its arguments; the registry parses and
 * validates before a handler ever runs, so a malformed command is answered with an error naming
 * the problem and nothing is applied. Handlers throw `CommandError` for refusals they decide
 * themselves (e.g. `busy`); any other throw becomes a `failed` response, never a crash.
 *
 *   registry.registerCommand('update', z.strictObject({ url: z.url() }), async (args) => {
 *     ...; return { accepted: true };
 *   });
 *
 * The request payload is a JSON object; its optional `transaction` field (a string, for MQTT
 * 3.1.1 brokers that have no correlation data) is removed before validation and echoed in the
 * response. Everything else is the command's arguments.
 */
import type { z } from 'zod';
import type { CommandResponsePayload } from '../topics.js';

export type CommandErrorCode = NonNullable<CommandResponsePayload['error']>['code'];

export class CommandError extends Error {
  constructor(
    readonly code: CommandErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type CommandHandler<A> = (args: A) => unknown | Promise<unknown>;

interface Entry {
  schema: z.ZodType;
  handler: CommandHandler<unknown>;
}

/** `a.b: expected number, received string; c: unrecognized key "d"` */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export class CommandRegistry {
  private readonly commands = new Map<string, Entry>();

  registerCommand<S extends z.ZodType>(name: string, schema: S, handler: CommandHandler<z.infer<S>>): void {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
      throw new Error(`command name ${JSON.stringify(name)}: lower-case letters, digits, "-"`);
    if (this.commands.has(name)) throw new Error(`command ${name} is already registered`);
    this.commands.set(name, { schema, handler: handler as CommandHandler<unknown> });
  }

  unregisterCommand(name: string): void {
    this.commands.delete(name);
  }

  names(): string[] {
    return [...this.commands.keys()].sort();
  }

  /** Parse, validate and run one request; always returns a response, never throws. */
  async dispatch(name: string, payload: Buffer | string): Promise<CommandResponsePayload> {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    let body: unknown;
    try {
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      return {
        command: name,
        ok: false,
        error: { code: 'bad_json', message: `payload is not JSON: ${(err as Error).message}` },
      };
    }
    let transaction: string | undefined;
    if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'transaction' in body) {
      const { transaction: t, ...rest } = body as Record<string, unknown>;
      if (typeof t !== 'string') {
        return {
          command: name,
          ok: false,
          error: { code: 'invalid', message: 'transaction: expected a string' },
        };
      }
      transaction = t;
      body = rest;
    }
    const base = transaction === undefined ? { command: name } : { command: name, transaction };
    const entry = this.commands.get(name);
    if (!entry) {
      return {
        ...base,
        ok: false,
        error: {
          code: 'unknown_command',
          message: `unknown command ${JSON.stringify(name)}; known: ${this.names().join(', ')}`,
        },
      };
    }
    const parsed = entry.schema.safeParse(body);
    if (!parsed.success)
      return { ...base, ok: false, error: { code: 'invalid', message: describeIssues(parsed.error) } };
    try {
      const result = await entry.handler(parsed.data);
      return { ...base, ok: true, result: result ?? {} };
    } catch (err) {
      if (err instanceof CommandError)
        return { ...base, ok: false, error: { code: err.code, message: err.message } };
      return {
        ...base,
        ok: false,
        error: { code: 'failed', message: (err as Error)?.message ?? String(err) },
      };
    }
  }
}
