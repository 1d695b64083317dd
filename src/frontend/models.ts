/**
 * Model files: models/manifest.json lists each (file, sha256, source, license). Loading verifies the
 * hash so a missing, truncated or altered file fails at start with an error naming it, instead of
 * producing a canceller that quietly does the wrong thing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ManifestEntry {
  name: string;
  file: string;
  sha256: string;
  license: string;
  /** npm package@version and the path inside it, for fetched models. */
  source?: { package: string; path: string };
  /** The generator script, for models we build. */
  generator?: string;
}

export class ModelFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/** models/ of the repository (works from src/ under tsc's dist/ too). */
export function defaultModelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      readFileSync(join(dir, 'models', 'manifest.json'));
      return join(dir, 'models');
    } catch {
      dir = dirname(dir);
    }
  }
  return resolve('models');
}

export function readManifest(modelsDir: string): ManifestEntry[] {
  const path = join(modelsDir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ModelFileError(path, `model manifest ${path} cannot be read: ${(err as Error).message}`);
  }
  return (JSON.parse(text) as { models: ManifestEntry[] }).models;
}

/** Reads a model by manifest name and checks its sha256; throws ModelFileError naming the file. */
export function loadVerified(
  modelsDir: string,
  name: string,
): { bytes: Uint8Array; entry: ManifestEntry; path: string } {
  const entry = readManifest(modelsDir).find((m) => m.name === name);
  if (!entry)
    throw new ModelFileError(
      join(modelsDir, 'manifest.json'),
      `model "${name}" is not listed in models/manifest.json`,
    );
  const path = join(modelsDir, entry.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ModelFileError(path, `model file ${path} is missing (run: node models/fetch.mjs)`);
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== entry.sha256) {
    // Hash prefixes only: this message ends up in the one-line systemd STATUS= (400 characters).
    throw new ModelFileError(
      path,
      `model file ${path} is altered (sha256 ${sha.slice(0, 12)}…, manifest.json says ${entry.sha256.slice(0, 12)}…; run: node models/fetch.mjs)`,
    );
  }
  return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), entry, path };
}

export function readJsonSidecar<T>(modelsDir: string, file: string): T {
  return JSON.parse(readFileSync(join(modelsDir, file), 'utf8')) as T;
}
