/**
 * `npm run bench -- NAME [--quick] [...]`: runs bench/NAME.ts, whose `run(args)` returns the result
 * object. Progress goes to stderr or earlier stdout lines; the last stdout line is the JSON result.
 */
const [name, ...args] = process.argv.slice(2);
if (!name || name.startsWith('-')) {
  console.error(
    'usage: npm run bench -- NAME [--quick]   (NAME: a file in bench/, e.g. audio, frontend, bargein, fleet)',
  );
  process.exit(2);
}
if (!/^[a-z0-9-]+$/.test(name)) {
  console.error(`bench name ${JSON.stringify(name)}: letters, digits and "-" only`);
  process.exit(2);
}
const mod = (await import(`./${name}.js`).catch((err: Error) => {
  console.error(`no benchmark named ${name}: ${err.message}`);
  process.exit(2);
})) as { run: (args: string[]) => Promise<Record<string, unknown>> };
const result = await mod.run(args);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
