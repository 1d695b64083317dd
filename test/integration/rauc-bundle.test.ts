/**
 * Bundle trust with the real `rauc`: bundles built and signed here with deploy/rauc's scripts and a
 * test CA; RAUC (over D-Bus) accepts the good one and rejects one signed by another CA or built for
 * another product; over MQTT the fleet sees why. A corrupted download fails the sha256 before RAUC
 * is ever asked about the file.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateEngineError } from '../../src/fleet/ota/engine.js';
import { RaucEngine } from '../../src/fleet/ota/rauc-engine.js';
import type { UpdateStatePayload } from '../../src/fleet/ota/reporter.js';
import type { UpdateComponent } from '../../src/fleet/ota/update-component.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { type RangeServer, startRangeServer } from '../helpers/ota-range-server.js';
import { type RaucRig, startRaucRig } from '../helpers/ota-rauc-rig.js';
import {
  connectOperator,
  type Operator,
  retainedUpdate,
  startTerminal,
  type Terminal,
} from '../helpers/ota-terminal.js';
import { scaled } from '../helpers/time-scale.js';

const ID = `otabundle${process.pid}`;
let rig: RaucRig;
let engine: RaucEngine;
let broker: Mosquitto;
let http: RangeServer;
let work: string;

beforeAll(async () => {
  rig = await startRaucRig();
  engine = new RaucEngine({ dbusAddress: rig.busAddress, raucConf: rig.confPath });
  broker = await startMosquitto();
  http = await startRangeServer();
  work = mkdtempSync(join(tmpdir(), 'vt-ota-bundle-'));
}, scaled(60_000));

afterAll(async () => {
  await engine?.close();
  await http?.close();
  await broker?.dispose();
  await rig?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('RAUC bundle checks (real rauc over D-Bus)', () => {
  it('accepts a bundle signed by the keyring CA and reports its compatible and version', async () => {
    const good = rig.buildBundle({ version: '1.1.0' });
    expect(await engine.inspect(good.path)).toMatchObject({ compatible: 'voiceterm-test', version: '1.1.0' });
    expect(await engine.compatible()).toBe('voiceterm-test');
  });

  it('rejects a bundle signed by another CA, with the verification error as the reason', async () => {
    const evil = rig.buildBundle({ version: '1.1.0', signer: 'evil' });
    const err = await engine.inspect(evil.path).catch((e) => e);
    expect(err).toBeInstanceOf(UpdateEngineError);
    expect(err.code).toBe('rejected');
    expect(err.message).toMatch(
      /^signature\/bundle check failed: signature verification failed: .*unable to get local issuer certificate/,
    );
  });

  it('rejects a correctly signed bundle built for another product', async () => {
    const other = rig.buildBundle({ version: '1.1.0', compatible: 'some-other-device' });
    const err = await engine.inspect(other.path).catch((e) => e);
    expect(err.message).toBe('bundle is for "some-other-device", this system is "voiceterm-test"');
  });

  it('rejects a file that is not a bundle at all', async () => {
    const junk = join(work, 'junk.raucb');
    writeFileSync(junk, Buffer.alloc(8192, 1));
    const err = await engine.inspect(junk).catch((e) => e);
    expect(err).toMatchObject({ code: 'rejected' });
    expect(err.message).toMatch(/^signature\/bundle check failed: .+/);
  });
});

describe('the update command over MQTT reports rejections with reasons', () => {
  let terminal: Terminal;
  let op: Operator;
  const busStates: UpdateStatePayload[] = [];

  beforeAll(async () => {
    terminal = await startTerminal({
      id: ID,
      brokerUrl: broker.url,
      stateDir: join(work, 'state'),
      busAddress: rig.busAddress,
      raucConf: rig.confPath,
      bootId: 'boot-1',
    });
    op = await connectOperator(broker.url, ID);
    terminal.services.bus.on('update.state', (p) => busStates.push(p));
  }, scaled(60_000));

  afterAll(async () => {
    op?.close();
    await terminal?.stop();
  });

  it('a malformed command is refused naming the field, and nothing starts', async () => {
    const r = await op.command('update', { url: 'ftp://x/y', sha256: 'abc', version: '2' }, 't-bad');
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect((r.error as { message: string }).message).toMatch(/url: .*http.*sha256: 64 hex digits/s);
    expect(terminal.sup.get<UpdateComponent>('update')?.health().summary).toBe('no update');
  });

  it('a bundle signed by another CA is downloaded, refused by RAUC, and the reason is on voiceterm/<id>/update', async () => {
    const evil = rig.buildBundle({ version: '2.0.0', signer: 'evil' });
    http.serve('evil.raucb', evil.path);
    const r = await op.command(
      'update',
      { url: http.url('evil.raucb'), sha256: evil.sha256, version: '2.0.0', size: evil.size },
      't-evil',
    );
    expect(r).toMatchObject({ ok: true, result: { phase: 'downloading' } });
    const failed = await op.waitUpdate((p) => p.phase === 'failed');
    expect(failed).toMatchObject({ version: '2.0.0', result: 'failed' });
    expect(failed.reason).toMatch(
      /^inspecting: signature\/bundle check failed: .*unable to get local issuer certificate/,
    );
    // A dashboard that subscribes later still sees it (retained).
    expect(await retainedUpdate(broker.url, ID)).toMatchObject({
      phase: 'failed',
      version: '2.0.0',
      reason: failed.reason,
    });
    // Never installed: the slots still hold nothing of 2.0.0.
    expect(readFileSync(rig.slotFile('B')).includes('voiceterm 2.0.0')).toBe(false);
  });

  it('a corrupted download fails the sha256 check and RAUC is never asked about the file', async () => {
    const good = rig.buildBundle({ version: '2.0.1' });
    const corrupted = join(work, 'corrupted.raucb');
    copyFileSync(good.path, corrupted);
    const bytes = readFileSync(corrupted);
    bytes[bytes.length - 100] ^= 0x5a; // in the signature/CMS area: RAUC would notice too, but must not be asked
    writeFileSync(corrupted, bytes);
    http.serve('corrupted.raucb', corrupted);
    const logBefore = rig.serviceLog.length;
    const since = op.updates.length;
    const r = await op.command(
      'update',
      { url: http.url('corrupted.raucb'), sha256: good.sha256, version: '2.0.1' },
      't-corrupt',
    );
    expect(r).toMatchObject({ ok: true });
    const failed = await op.waitUpdate((p) => p.phase === 'failed', 30_000, since);
    const actual = createHash('sha256').update(bytes).digest('hex');
    // On MQTT the fleet's redactor may mask a Luhn-valid digit run inside a hex digest as "[card]";
    // the exact text is checked on the bus (before redaction), the shape on MQTT.
    expect(failed.reason).toMatch(/^verifying: sha256 mismatch: expected \S+, got \S+$/);
    expect(busStates.find((p) => p.jobId === failed.jobId && p.phase === 'failed')?.reason).toBe(
      `verifying: sha256 mismatch: expected ${good.sha256}, got ${actual}`,
    );
    // RAUC saw no request after the command (its log names every bundle it reads).
    expect(rig.serviceLog.slice(logBefore).filter((l) => /Reading bundle|bundle-/.test(l))).toEqual([]);
  });

  it('a download cut off mid-way resumes with a Range request and goes on to install', {
    timeout: scaled(90_000),
  }, async () => {
    const good = rig.buildBundle({ version: '2.1.0' });
    http.serve('resume.raucb', good.path);
    http.cutNext('resume.raucb', 2000); // test bundles are ~6 kB (squashfs compresses the payload)
    http.ranges.length = 0;
    const since = op.updates.length;
    const r = await op.command(
      'update',
      { url: http.url('resume.raucb'), sha256: good.sha256, version: '2.1.0', size: good.size },
      't-resume',
    );
    expect(r).toMatchObject({ ok: true });
    const retry = await op.waitUpdate((p) => p.waiting?.reason === 'retry', 30_000, since);
    expect(retry.waiting?.detail).toMatch(/download (interrupted|ended) at/);
    await op.waitUpdate((p) => p.phase === 'installed' || p.phase === 'rebooting', 60_000, since);
    expect(http.ranges[0]).toBeUndefined();
    expect(http.ranges[1]).toMatch(/^bytes=[1-9]\d*-$/);
    expect(readFileSync(rig.slotFile('B')).subarray(0, 16).toString()).toBe('voiceterm 2.1.0\n');
  });
});
