// The transport for the machine we run on (the server itself, or the remote side of a VS Code
// Remote-SSH session): `/bin/sh -c` in its own process group, killed as a group.

import { spawn } from 'node:child_process';
import { RemoteError } from './errors';
import { Semaphore, ShellTransport, type ExitStatus, type SpawnIO, type Spawned } from './transport';

export interface LocalOptions {
  /** The shell (default /bin/sh). */
  shell?: string;
  /** Commands running at once (default 8, like the SSH transport). */
  concurrency?: number;
  /** Environment of the commands (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export class LocalTransport extends ShellTransport {
  readonly kind = 'local' as const;
  readonly target = 'local';
  private readonly shell: string;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly slots: Semaphore;
  private readonly live = new Set<Spawned>();
  private closed = false;

  constructor(opts: LocalOptions = {}) {
    super();
    this.shell = opts.shell ?? '/bin/sh';
    this.env = opts.env;
    this.slots = new Semaphore(Math.max(1, opts.concurrency ?? 8));
  }

  protected async spawn(command: string, io: SpawnIO): Promise<Spawned> {
    if (this.closed) throw new RemoteError('closed', 'the local transport is closed');
    const release = await this.slots.acquire(io.signal);
    if (this.closed) {
      release();
      throw new RemoteError('closed', 'the local transport is closed');
    }
    const child = spawn(this.shell, ['-c', command], {
      detached: true, // its own process group, so a kill reaches what it started
      stdio: [io.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: this.env,
    });
    let done = false;
    const exit = new Promise<ExitStatus>((resolve, reject) => {
      child.once('error', (err) => {
        done = true;
        reject(new RemoteError('protocol', `cannot start ${this.shell}: ${err.message}`, { cause: err }));
      });
      child.once('close', (code, signal) => {
        done = true;
        resolve({ code, signal });
      });
    });
    const proc: Spawned = {
      kill: () => {
        if (done || child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      },
      exit,
    };
    this.live.add(proc);
    exit.then(
      () => this.live.delete(proc),
      () => this.live.delete(proc),
    ).finally(release);
    child.stdout!.on('data', (c: Buffer) => io.onStdout(c));
    child.stderr!.on('data', (c: Buffer) => io.onStderr(c));
    if (io.stdin !== undefined) {
      child.stdin!.on('error', () => undefined); // EPIPE when the command does not read it
      child.stdin!.end(io.stdin);
    }
    return proc;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.slots.drain(new RemoteError('closed', 'the local transport is closed'));
    const running = [...this.live];
    for (const p of running) p.kill();
    await Promise.allSettled(running.map((p) => p.exit));
  }
}

/** A transport that runs commands on this machine. */
export function connectLocal(opts: LocalOptions = {}): LocalTransport {
  return new LocalTransport(opts);
}
