/** A CLI subcommand: its usage text and its action. Exit codes: 0 ok, 1 runtime failure, 2 usage/config error. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(argv: string[]): Promise<number>;
}

export class UsageError extends Error {}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
