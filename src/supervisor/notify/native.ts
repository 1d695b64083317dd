/** Loads a native addon built by node-gyp into build/Release (or build/Debug for ASan runs). */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { appRoot } from '../../config/load.js';

const require = createRequire(import.meta.url);

export function loadNative<T>(name: string): T {
  const root = appRoot();
  const candidates = [
    join(root, 'build', 'Release', `${name}.node`),
    join(root, 'build', 'Debug', `${name}.node`),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `native addon ${name}.node is not built (looked in build/Release, build/Debug); run: npm run build:native`,
    );
  }
  return require(found) as T;
}
