/**
 * Debian's real mosquitto for fleet tests and the fleet bench: a temp config on free ports
 * (127.0.0.1 only), optionally a second mTLS listener whose CA, server and client certificates are
 * generated here with openssl. `stop()`/`start()` simulate a broker outage on the same ports; with
 * `persistence` the broker keeps queued QoS 1 messages of persistent sessions across that outage.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scaled } from './time-scale.js';

export interface TestCerts {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a different CA: must be refused. */
  rogueCert: string;
  rogueKey: string;
}

export interface Mosquitto {
  port: number;
  tlsPort?: number;
  certs?: TestCerts;
  dir: string;
  url: string;
  start(): Promise<void>;
  /** SIGTERM (saves persistence); resolves when the process is gone. */
  stop(): Promise<void>;
  /** Stop and delete the temp directory. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA, a server cert for localhost/127.0.0.1, a client cert (CN=clientCn) and a rogue client. */
export function makeTestCerts(dir: string, clientCn = 'vt-test-client'): TestCerts {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=voiceterm test CA',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'rogue-ca.key',
      '-out',
      'rogue-ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=rogue CA',
    ],
    dir,
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  const leaf = (name: string, cn: string, ca: string, ext?: string) => {
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.pem`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        ...(ext ? ['-extfile', ext] : []),
      ],
      dir,
    );
  };
  leaf('server', 'localhost', 'ca', 'server.ext');
  leaf('client', clientCn, 'ca');
  leaf('rogue', clientCn, 'rogue-ca');
  const p = (f: string) => join(dir, f);
  return {
    dir,
    ca: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue.key'),
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: '127.0.0.1' });
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMosquitto(
  opts: { tls?: boolean; persistence?: boolean; clientCn?: string } = {},
): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'vt-mosquitto-'));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const certs = opts.tls ? makeTestCerts(dir, opts.clientCn) : undefined;
  const lines = [
    // As root mosquitto would drop to user "mosquitto", which cannot read our temp files.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'per_listener_settings false',
    'allow_anonymous true',
    `persistence ${opts.persistence ? 'true' : 'false'}`,
    `persistence_location ${dir}/`,
    // Unlimited: a slow subscriber must not lose the backlog the device drains after an outage.
    'max_queued_messages 0',
    'autosave_interval 1',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    `listener ${port} 127.0.0.1`,
  ];
  if (certs && tlsPort) {
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${certs.ca}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'require_certificate true',
      'tls_version tlsv1.2',
    );
  }
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  let child: ChildProcess | undefined;
  let stderr = '';
  const m: Mosquitto = {
    port,
    tlsPort,
    certs,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const c = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      c.stderr?.on('data', (d) => {
        stderr += String(d);
      });
      child = c;
      c.once('exit', () => {
        if (child === c) child = undefined;
      });
      try {
        await waitForPort(port, scaled(5000));
        if (tlsPort) await waitForPort(tlsPort, scaled(5000));
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${stderr}`);
      }
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null) return;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      await gone;
      child = undefined;
    },
    async dispose() {
      await m.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await m.start();
  return m;
}
