/** Command-line pieces the benches share (`npm run bench -- NAME [--flag value …]`). */

/** The value after `--name`, if the flag is given. */
export function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** "1001-1004,1010" → [1001, 1002, 1003, 1004, 1010] */
export function parseSeeds(s: string): number[] {
  return s.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b === undefined ? [a] : Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}
