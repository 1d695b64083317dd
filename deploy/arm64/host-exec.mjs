// Runs a command OUTSIDE the emulation's user namespace, for tools that need real root there.
//
// deploy/arm64/test.sh gives arm64 child processes to qemu through a private binfmt_misc, which lives
// in a user namespace. Host tools run in it too, mostly unharmed — but `rauc install` mounts the
// bundle (squashfs on a loop device), which a user namespace may never do ("Operation not
// permitted"). So test.sh starts this server outside the namespace, and a `rauc` shim on the tests'
// PATH forwards every rauc invocation to it: same argv, environment and working directory; stdout,
// stderr and the exit status come back; SIGTERM/SIGINT/SIGHUP are passed on; a client that dies
// (SIGKILL) takes its command with it.
//
//   node host-exec.mjs serve SOCKET          (outside the namespace; runs until killed)
//   node host-exec.mjs run SOCKET CMD ARG…   (the client, inside)
//
// Protocol: one JSON line per message over a unix stream socket. Client → server: {argv, env, cwd},
// then {kill: SIGNAL}. Server → client: {out: base64} | {err: base64} | {exit: code, signal}.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';

const [mode, socketPath, ...argv] = process.argv.slice(2);
const send = (sock, msg) => sock.writable && sock.write(`${JSON.stringify(msg)}\n`);

if (mode === 'serve') {
  rmSync(socketPath, { force: true });
  createServer((sock) => {
    let child;
    sock.on('error', () => {});
    createInterface({ input: sock }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.argv && !child) {
        // the host's PATH, not the namespace's (whose arm64 tools and this shim come first)
        const env = { ...msg.env, PATH: process.env.PATH };
        child = spawn(msg.argv[0], msg.argv.slice(1), { env, cwd: msg.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stdout.on('data', (d) => send(sock, { out: d.toString('base64') }));
        child.stderr.on('data', (d) => send(sock, { err: d.toString('base64') }));
        child.on('error', (e) => {
          send(sock, { err: Buffer.from(`host-exec: ${e.message}\n`).toString('base64') });
          send(sock, { exit: 127 });
          sock.end();
        });
        child.on('close', (code, signal) => {
          send(sock, { exit: code, signal });
          sock.end();
        });
      } else if (msg.kill && child && child.exitCode === null) child.kill(msg.kill);
    });
    sock.on('close', () => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  }).listen(socketPath);
} else if (mode === 'run') {
  const sock = createConnection(socketPath);
  sock.on('connect', () => send(sock, { argv, env: process.env, cwd: process.cwd() }));
  sock.on('error', (e) => {
    process.stderr.write(`host-exec: ${e.message}\n`);
    process.exit(127);
  });
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => send(sock, { kill: s }));
  createInterface({ input: sock }).on('line', (line) => {
    const msg = JSON.parse(line);
    if (msg.out) process.stdout.write(Buffer.from(msg.out, 'base64'));
    if (msg.err) process.stderr.write(Buffer.from(msg.err, 'base64'));
    if ('exit' in msg) {
      const code = msg.exit ?? (msg.signal ? 128 + 15 : 1);
      process.stdout.write('', () => process.exit(code));
    }
  });
} else {
  process.stderr.write('usage: host-exec.mjs serve SOCKET | run SOCKET CMD [ARG…]\n');
  process.exit(2);
}
