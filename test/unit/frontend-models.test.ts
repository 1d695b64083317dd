import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadVerified, ModelFileError, readManifest } from '../../src/frontend/models.js';
import { NearEndDetector } from '../../src/frontend/ned.js';
import { heapTrimHint } from '../../src/frontend/ort.js';

const models = join(import.meta.dirname, '../../models');
const tmp = mkdtempSync(join(tmpdir(), 'vt-fe-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('model manifest', () => {
  it('lists every model with source or generator, license and a hash that matches the file', () => {
    const entries = readManifest(models);
    expect(entries.map((e) => e.name).sort()).toEqual(['aec', 'aec-meta', 'ned', 'ned-meta', 'silero-vad']);
    for (const e of entries) {
      expect(e.license).toBeTruthy();
      expect(e.source ?? e.generator).toBeTruthy();
      // a model is kilobytes at least; a sidecar (aec.json, ned.json) a few hundred bytes
      expect(loadVerified(models, e.name).bytes.length).toBeGreaterThan(
        e.file.endsWith('.onnx') ? 1000 : 200,
      );
    }
    expect(entries.find((e) => e.name === 'silero-vad')?.source?.package).toBe('@ricky0123/vad-web@0.0.31');
  });

  it('an altered model file fails with an error naming it', () => {
    copyFileSync(join(models, 'manifest.json'), join(tmp, 'manifest.json'));
    writeFileSync(join(tmp, 'silero_vad_v6.onnx'), 'not a model');
    const err = (() => {
      try {
        loadVerified(tmp, 'silero-vad');
      } catch (e) {
        return e as ModelFileError;
      }
    })();
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err?.message).toMatch(/silero_vad_v6\.onnx is altered/);
    expect(err?.file).toBe(join(tmp, 'silero_vad_v6.onnx'));
  });

  it('a missing model file fails with an error naming it', () => {
    expect(() => loadVerified(tmp, 'aec')).toThrow(/aec\.onnx is missing/);
  });

  it('the near-end detector: missing or altered, its error names the file', () => {
    copyFileSync(join(models, 'manifest.json'), join(tmp, 'manifest.json'));
    expect(() => new NearEndDetector(tmp)).toThrow(/ned\.onnx is missing/);
    writeFileSync(join(tmp, 'ned.onnx'), 'not a model');
    expect(() => new NearEndDetector(tmp)).toThrow(/ned\.onnx is altered/);
  });
});

describe('heap trim hint', () => {
  it('warns on Linux when glibc would trim the heap every few hops, and only then', () => {
    expect(heapTrimHint('linux', {})).toMatch(/MALLOC_TRIM_THRESHOLD_ is not set.*33554432/);
    expect(heapTrimHint('linux', { MALLOC_TRIM_THRESHOLD_: '33554432' })).toBeUndefined();
    expect(heapTrimHint('darwin', {})).toBeUndefined();
  });
  it('is what the systemd unit and npm start set', async () => {
    const { readFileSync } = await import('node:fs');
    const root = join(import.meta.dirname, '../..');
    const unit = readFileSync(join(root, 'deploy/systemd/voiceterm.service'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(unit).toMatch(/^Environment=MALLOC_TRIM_THRESHOLD_=33554432$/m);
    expect(pkg.scripts.start).toMatch(/^MALLOC_TRIM_THRESHOLD_=33554432 /);
    expect(pkg.scripts.bench).toMatch(/MALLOC_TRIM_THRESHOLD_=33554432 node/);
  });
});
