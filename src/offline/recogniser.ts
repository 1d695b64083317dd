/**
 * The grammar recogniser: Debian's `pocketsphinx_continuous` (0.8+5prealpha) as a child process,
 * fed raw 16 kHz PCM16 through a named pipe (`-infile FIFO`), printing one hypothesis line per
 * utterance (its own VAD segments the stream).
 *
 * Why a FIFO and not stdin: Node gives a child a socketpair as stdin, and pocketsphinx fopen()s
 * its -infile, which fails on a socket (`/dev/stdin`: "No such device or address"). We open the FIFO
 * O_RDWR|O_NONBLOCK (Linux: never blocks, even before the reader exists) and write through a
 * net.Socket on that fd, so writes never block a libuv thread, and back-pressure is visible. A child process, not an addon, so a decoder crash or hang costs one
 * utterance, never the supervisor.
 *
 * Watchdog: a crash is the process exiting; a hang is audio we wrote that the decoder does not
 * read. We read the kernel's count of bytes the child has read (`rchar` in /proc/PID/io): if we
 * wrote audio and that count did not move for hangAfterMs, the decoder is stuck (stopped, deadlocked
 * or spinning) → SIGKILL and restart with backoff. Pipe back-pressure alone would take seconds to
 * show (64 KiB of pipe = 2 s of audio).
 *
 * Hot path: feed() converts into a pool of preallocated buffers; no allocation per frame.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, constants, existsSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface RecogniserOptions {
  command: string;
  hmm: string;
  dict: string;
  /** Path of the JSGF grammar file (written by the caller). */
  jsgfPath: string;
  /** Where the decoder's log goes (its last lines explain a failed start). */
  workDir: string;
  endSilenceFrames: number;
  hangAfterMs: number;
}

export interface RecogniserStats {
  running: boolean;
  pid: number | undefined;
  starts: number;
  crashes: number;
  hangs: number;
  results: number;
  droppedChunks: number;
  lastError?: string;
}

export interface RecogniserEvents {
  result: [text: string];
  restarted: [why: 'crash' | 'hang'];
}

/** 100 ms of 16 kHz audio per write: latency well under the decoder's own 128 ms reads. */
const CHUNK_SAMPLES = 1600;
const POOL = 48;
const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 5000;

export class GrammarRecogniser extends EventEmitter<RecogniserEvents> {
  private child: ChildProcessWithoutNullStreams | undefined;
  private sink: Socket | undefined;
  private readonly pool: Buffer[] = Array.from({ length: POOL }, () => Buffer.alloc(CHUNK_SAMPLES * 2));
  private poolIndex = 0;
  private fill = 0;
  private decim = 0;
  private decimAcc = 0;
  private stopped = true;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay = RESTART_MIN_MS;
  private writtenBytes = 0;
  private lastRchar = -1;
  private lastProgressMs = 0;
  private pendingSince: number | undefined;
  private readonly s: RecogniserStats = {
    running: false,
    pid: undefined,
    starts: 0,
    crashes: 0,
    hangs: 0,
    results: 0,
    droppedChunks: 0,
  };

  constructor(private readonly opt: RecogniserOptions) {
    super();
  }

  start(): void {
    this.stopped = false;
    this.spawnChild();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    const c = this.child;
    this.child = undefined;
    this.s.running = false;
    this.closeSink();
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, 1000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill('SIGTERM');
    });
  }

  stats(): RecogniserStats {
    return { ...this.s };
  }

  /**
   * Feed capture audio (float [-1,1)) at 16 kHz or 48 kHz (decimated by 3 with a box filter: the
   * front-end normally hands us 16 kHz already). Audio arriving while the decoder restarts is dropped.
   */
  feed(samples: Float32Array, rate: number): void {
    const step = rate === 48000 ? 3 : 1;
    for (let i = 0; i < samples.length; i++) {
      if (step > 1) {
        this.decimAcc += samples[i];
        if (++this.decim < step) continue;
        this.decim = 0;
        this.pushSample(this.decimAcc / step);
        this.decimAcc = 0;
      } else this.pushSample(samples[i]);
    }
  }

  private pushSample(x: number): void {
    const v = x >= 1 ? 32767 : x <= -1 ? -32768 : Math.round(x * 32767);
    this.pool[this.poolIndex].writeInt16LE(v, this.fill * 2);
    if (++this.fill === CHUNK_SAMPLES) {
      this.fill = 0;
      this.flushChunk();
    }
  }

  private flushChunk(): void {
    const c = this.sink;
    const buf = this.pool[this.poolIndex];
    // A buffer may be reused only after the stream let go of it: never queue more than the pool.
    if (!this.child || !c?.writable || c.writableLength > (POOL - 2) * buf.length) {
      this.s.droppedChunks++;
      return;
    }
    this.poolIndex = (this.poolIndex + 1) % POOL;
    this.writtenBytes += buf.length;
    this.pendingSince ??= performance.now();
    c.write(buf);
  }

  /** Call every few hundred ms: detects a decoder that stopped reading. */
  checkAlive(nowMs = performance.now()): void {
    const c = this.child;
    if (!c?.pid || this.pendingSince === undefined) return;
    let rchar: number;
    try {
      const m = /rchar:\s*(\d+)/.exec(readFileSync(`/proc/${c.pid}/io`, 'utf8'));
      rchar = m ? Number(m[1]) : -1;
    } catch {
      return; // exited: the exit handler restarts it
    }
    if (rchar !== this.lastRchar) {
      this.lastRchar = rchar;
      this.lastProgressMs = nowMs;
      this.pendingSince = (this.sink?.writableLength ?? 0) > 0 ? nowMs : undefined;
      return;
    }
    if (nowMs - Math.max(this.lastProgressMs, this.pendingSince) >= this.opt.hangAfterMs) {
      this.s.hangs++;
      this.s.lastError = `decoder read nothing for ${Math.round(nowMs - Math.max(this.lastProgressMs, this.pendingSince))} ms`;
      this.pendingSince = undefined;
      c.removeAllListeners('exit');
      c.kill('SIGKILL');
      this.child = undefined;
      this.closeSink();
      this.s.running = false;
      this.emit('restarted', 'hang');
      this.scheduleRestart();
    }
  }

  private spawnChild(): void {
    if (this.stopped) return;
    const o = this.opt;
    let sink: Socket;
    try {
      sink = this.openFifo();
    } catch (err) {
      this.s.lastError = `cannot open the audio FIFO: ${(err as Error).message}`;
      this.scheduleRestart();
      return;
    }
    // -vad_postspeech: silence frames that end an utterance (answers sooner than the default 50).
    const args = ['-infile', this.fifoPath, '-jsgf', o.jsgfPath, '-hmm', o.hmm, '-dict', o.dict];
    args.push('-vad_postspeech', String(o.endSilenceFrames), '-logfn', join(o.workDir, 'pocketsphinx.log'));
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(o.command, args, { stdio: 'pipe' });
    } catch (err) {
      sink.destroy();
      this.s.lastError = (err as Error).message;
      this.scheduleRestart();
      return;
    }
    this.child = child;
    this.sink = sink;
    this.s.starts++;
    this.s.running = true;
    this.s.pid = child.pid;
    this.fill = 0;
    this.lastRchar = -1;
    this.pendingSince = undefined;
    const startedAt = performance.now();
    child.stdin.end();
    child.on('error', (err) => {
      this.s.lastError = err.message; // ENOENT: not installed; 'exit' may not follow
      if (this.child === child) this.onExit(child, startedAt);
    });
    child.on('exit', () => this.onExit(child, startedAt));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const text = line.trim();
      if (!text || this.child !== child) return;
      this.s.results++;
      this.restartDelay = RESTART_MIN_MS; // it works: next crash restarts fast
      this.emit('result', text);
    });
    child.stderr.resume();
  }

  private onExit(child: ChildProcessWithoutNullStreams, startedAt: number): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.closeSink();
    this.s.running = false;
    if (this.stopped) return;
    this.s.crashes++;
    if (performance.now() - startedAt < 2000)
      this.s.lastError =
        this.logTail() ?? this.s.lastError ?? `exited (${child.exitCode ?? child.signalCode})`;
    else this.s.lastError = `exited (${child.exitCode ?? child.signalCode})`;
    this.emit('restarted', 'crash');
    this.scheduleRestart();
  }

  private get fifoPath(): string {
    return join(this.opt.workDir, 'recogniser-audio.fifo');
  }

  private openFifo(): Socket {
    const path = this.fifoPath;
    if (existsSync(path)) unlinkSync(path); // a fresh pipe: nothing of a dead decoder's audio left
    execFileSync('mkfifo', ['-m', '600', path]);
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const sock = new Socket({ fd, readable: false, writable: true });
      sock.on('error', () => {}); // a dead reader: the exit handler restarts
      return sock;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  private closeSink(): void {
    this.sink?.destroy();
    this.sink = undefined;
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    clearTimeout(this.restartTimer);
    const delay = this.restartDelay;
    this.restartDelay = Math.min(RESTART_MAX_MS, this.restartDelay * 2);
    this.restartTimer = setTimeout(() => this.spawnChild(), delay * (0.8 + 0.4 * Math.random()));
    this.restartTimer.unref?.();
  }

  private logTail(): string | undefined {
    try {
      const lines = readFileSync(join(this.opt.workDir, 'pocketsphinx.log'), 'utf8').split('\n');
      return (
        lines
          .filter((l) => /ERROR|FATAL/.test(l))
          .slice(-2)
          .join(' | ') || undefined
      );
    } catch {
      return undefined;
    }
  }
}
