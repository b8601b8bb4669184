// The diagnosis lab: a real sshd, a real nginx and a real PHP-FPM (Debian's binaries) on
// 127.0.0.1, with small backends and a DNS server written in node, all configured and logging
// inside one temporary folder. Scenarios get a fresh folder each (configs, logs, sockets, pid
// files), so one scenario never sees another's log lines. Nothing outside the lab folder is
// written: nginx's temp paths, pid file and startup log (-e) are set; /etc/nginx, /etc/php and
// /run are never touched. Every process is started in its own process group and stopped with it.
//
// The lab is one "host": nginx, PHP-FPM and the SSH sessions run in their own PID namespace (with
// its own /proc), so `ps` on the lab host shows the lab's nginx and PHP-FPM only, never the
// nginx masters other tests run on this machine at the same time (the engine diagnoses the nginx
// it finds running). The kernel log stays the machine's: other tests' OOM kills are in it.

import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { descendants, freePort, sshdSkipReason, startSshd, tempKnownHosts, type Sshd } from './sshd';

export const NGINX: string | undefined = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => fs.existsSync(p));
export const PHP_FPM: string | undefined = ['/usr/sbin/php-fpm8.2', ...list('/usr/sbin').filter((f) => /^php-fpm\d/.test(f)).map((f) => `/usr/sbin/${f}`)].find((p) => fs.existsSync(p));
export const CLI = path.resolve(__dirname, '../../client/out/cli.js');
const UNSHARE = ['/usr/bin/unshare', '/bin/unshare'].find((p) => fs.existsSync(p));
const NSENTER = ['/usr/bin/nsenter', '/bin/nsenter'].find((p) => fs.existsSync(p));
const PERL = ['/usr/bin/perl', '/bin/perl'].find((p) => fs.existsSync(p));
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
/** The user nginx's workers and the PHP-FPM pool run as. */
export const WEB_USER = 'www-data';

function list(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function hasUser(name: string): boolean {
  try {
    return fs.readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${name}:`));
  } catch {
    return false;
  }
}

/** Why the lab cannot run here, or undefined when it can. */
export function labSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the diagnosis lab needs root (nginx and PHP-FPM masters switch to www-data; ssh as root)';
  const ssh = sshdSkipReason();
  if (ssh) return ssh;
  if (!NGINX) return 'nginx is not installed (test/setup.sh installs it)';
  if (!PHP_FPM) return 'php-fpm is not installed (test/setup.sh installs it)';
  if (!hasUser(WEB_USER)) return `the ${WEB_USER} user does not exist`;
  if (!UNSHARE || !NSENTER || !PERL) return 'unshare/nsenter (util-linux) or perl is missing: the lab runs in its own PID namespace';
  if (!fs.existsSync(CLI)) return `${CLI} is not built (node client/scripts/build.mjs)`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Processes.

export interface Proc {
  name: string;
  /** What was spawned: the program, or nsenter running it in the namespace. */
  child: ChildProcess;
  /** The program's pid as this machine sees it. */
  pid: number;
  /** Resolves when the program and every process of its groups (workers) exited. */
  exited: Promise<void>;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  running(): boolean;
  /** Sends a signal to the process group, or only to the program (not its workers, not nsenter). */
  signal(sig: NodeJS.Signals, group?: boolean): void;
  /** SIGTERM to the groups, SIGKILL after `graceMs`; resolves once every process of them exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Proc>();
const holders = new Set<number>();
// A test process that dies on an uncaught error still takes its servers with it.
process.once('exit', () => {
  for (const p of live) p.signal('SIGKILL');
  for (const h of holders) {
    try {
      process.kill(-h, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
});

/** The lab host: a PID namespace (with its own /proc) whose init reaps orphans. */
export interface Namespace {
  /** The init's pid as this machine sees it (what nsenter --target takes). */
  pid: number;
  /** The command prefix that runs a program inside. */
  enter: string[];
  stop(): Promise<void>;
}

// pid 1 of the namespace: reaps every orphan (an nginx whose nsenter died) so none stays a zombie.
const REAPER = '$SIG{TERM} = sub { exit 0 }; while (1) { my $p = waitpid(-1, 0); select(undef, undef, undef, 0.05) if $p <= 0 }';

export async function startNamespace(): Promise<Namespace> {
  // setpriv --pdeathsig: the namespace (and everything in it) dies with this process, even on SIGKILL.
  const argv = [UNSHARE!, '--pid', '--fork', '--mount-proc', '--kill-child', PERL!, '-e', REAPER];
  const holder = spawn(SETPRIV ? SETPRIV : argv[0], SETPRIV ? ['--pdeathsig', 'KILL', '--', ...argv] : argv.slice(1), { detached: true, stdio: 'ignore' });
  holders.add(holder.pid!);
  const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  let pid = 0;
  await until('the lab namespace to start', () => {
    if (holder.exitCode !== null) throw new Error('unshare --pid --fork --mount-proc failed (no permission to create namespaces?)');
    pid = descendants(holder.pid!)[0] ?? 0;
    return pid > 0;
  });
  return {
    pid,
    enter: [NSENTER!, '--target', String(pid), '--pid', '--mount', '--'],
    async stop() {
      // --kill-child: the init dies with unshare, and the kernel kills everything in the namespace.
      try {
        process.kill(-holder.pid!, 'SIGKILL');
      } catch {
        // Gone.
      }
      await exited;
      holders.delete(holder.pid!);
    },
  };
}

/**
 * Starts a program in its own process group (in the namespace: behind nsenter, whose child it
 * is). Programs that start their own session (PHP-FPM calls setsid() even with daemonize = no)
 * are followed by their pid: signals go to both groups.
 */
async function startProc(name: string, file: string, args: string[], opts: { env?: NodeJS.ProcessEnv; ns?: Namespace } = {}): Promise<Proc> {
  const argv = opts.ns ? [...opts.ns.enter, file, ...args] : [file, ...args];
  const child = spawn(argv[0], argv.slice(1), { env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => (out = (out + c).slice(-65536)));
  child.stderr!.on('data', (c: string) => (out = (out + c).slice(-65536)));
  const pgid = child.pid ?? -1;
  let leaderDone = false;
  child.once('exit', () => (leaderDone = true));
  child.once('error', (e) => {
    out += `\n${e.message}`;
    leaderDone = true;
  });
  // The program's own pid (nsenter's child), as this machine sees it.
  let main = pgid;
  if (opts.ns && pgid > 0) {
    await until(`${name} to start`, () => {
      main = descendants(pgid)[0] ?? 0;
      return main > 0 || leaderDone;
    }).catch(() => undefined);
    if (main <= 0) main = pgid;
  }
  // Done when no process of either group is left (nsenter, the program, its workers).
  const running = () => !leaderDone || groupAlive(pgid) || groupAlive(main) || pidAlive(main);
  const exited = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (running()) return;
      clearInterval(timer);
      resolve();
    }, 25);
    timer.unref();
  });
  const kill = (sig: NodeJS.Signals, group = true) => {
    for (const target of group ? [-pgid, -main, main] : [main]) {
      try {
        if (target !== 0 && Math.abs(target) !== 1) process.kill(target, sig);
      } catch {
        // Already gone (or the program did not start a group of its own).
      }
    }
  };
  const proc: Proc = {
    name,
    child,
    pid: main,
    exited,
    output: () => out,
    running: () => running(),
    signal: kill,
    async stop(graceMs = 3000) {
      if (running()) {
        kill('SIGTERM');
        const t = setTimeout(() => kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      live.delete(proc);
    },
  };
  live.add(proc);
  return proc;
}

function pidAlive(pid: number): boolean {
  if (pid <= 1) return false;
  try {
    // A zombie (waiting for the namespace's init to reap it) counts as gone.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `check` is true; throws with `what` after `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000, every = 25): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function canConnect(opts: net.NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(opts);
    const t = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, 1000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Backends in node: an HTTP server, a slow one, one with an 8 KB header; and a DNS server.

export interface Backends {
  /** Answers 200 "ok" at once (also the plain-HTTP port the TLS scenario speaks TLS to). */
  ok: number;
  /** Answers after `slowMs`. */
  slow: number;
  /** Answers with an 8 KB response header. */
  bigHeader: number;
  /** A port nothing listens on. */
  closed: number;
  /** A DNS server (UDP) that answers NXDOMAIN to every query. */
  dns: number;
  /** DNS queries received. */
  dnsQueries(): number;
  stop(): Promise<void>;
}

function httpServer(handler: http.RequestListener): Promise<{ port: number; close: () => Promise<void> }> {
  const srv = http.createServer(handler);
  srv.keepAliveTimeout = 500;
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      resolve({
        port: (srv.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            srv.closeAllConnections();
            srv.close(() => r());
          }),
      });
    });
  });
}

/** A DNS answer to `query`: the same id and question, RCODE 3 (NXDOMAIN), no records. */
export function nxdomain(query: Buffer): Buffer | undefined {
  if (query.length < 12) return undefined;
  const out = Buffer.from(query);
  const flags = query.readUInt16BE(2);
  // QR=1, opcode and RD copied, RA=1, RCODE=3.
  out.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | 3, 2);
  out.writeUInt16BE(0, 6); // ANCOUNT
  out.writeUInt16BE(0, 8); // NSCOUNT
  out.writeUInt16BE(0, 10); // ARCOUNT
  // Keep only the header and the question(s): drop any EDNS additional record.
  let i = 12;
  const qd = query.readUInt16BE(4);
  for (let q = 0; q < qd && i < query.length; q++) {
    while (i < query.length && query[i] !== 0) i += 1 + query[i];
    i += 5;
  }
  return out.subarray(0, Math.min(i, out.length));
}

export async function startBackends(slowMs = 3000): Promise<Backends> {
  const timers = new Set<NodeJS.Timeout>();
  const ok = await httpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  });
  const slow = await httpServer((_req, res) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!res.destroyed) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('slow\n');
      }
    }, slowMs);
    timers.add(t);
  });
  const big = await httpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-big': 'b'.repeat(8192) });
    res.end('big\n');
  });
  const closed = await freePort();
  const sock = dgram.createSocket('udp4');
  let queries = 0;
  sock.on('message', (msg, rinfo) => {
    queries++;
    const a = nxdomain(msg);
    if (a) sock.send(a, rinfo.port, rinfo.address);
  });
  const dns = await new Promise<number>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => resolve(sock.address().port));
  });
  return {
    ok: ok.port,
    slow: slow.port,
    bigHeader: big.port,
    closed,
    dns,
    dnsQueries: () => queries,
    async stop() {
      for (const t of timers) clearTimeout(t);
      await Promise.all([ok.close(), slow.close(), big.close(), new Promise<void>((r) => sock.close(() => r()))]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A site: nginx + PHP-FPM configured in one folder.

export interface FpmPool {
  /** Defaults: static, 2 children. */
  pm?: string;
  maxChildren?: number;
  backlog?: number;
  requestTerminateTimeout?: string;
  listenOwner?: string;
  listenGroup?: string;
  listenMode?: string;
  /** Extra pool lines. */
  extra?: string[];
}

export interface SiteSpec {
  /** Folder name under the lab root. */
  name: string;
  /** Extra server{} lines (locations of the scenario); `@DIR@` is the site folder. */
  server?: string[];
  /** Extra http{} lines. */
  http?: string[];
  /** Extra main-level lines. */
  main?: string[];
  /** The error_log path at the main level (default DIR/logs/error.log). */
  errorLog?: string;
  /** The FPM pool; false: no PHP-FPM. */
  fpm?: FpmPool | false;
  /** PHP scripts in www/ (name -> source). */
  php?: Record<string, string>;
  /** fastcgi_read_timeout of the .php location. */
  fastcgiReadTimeout?: string;
}

export interface Site {
  name: string;
  dir: string;
  port: number;
  nginx: Proc;
  fpm?: Proc;
  socket: string;
  logs: { error: string; access: string; fpm: string };
  /** Starts PHP-FPM again (after stopFpm). */
  startFpm(): Promise<void>;
  /** Stops PHP-FPM: SIGQUIT to the master (graceful: it removes its socket), or SIGKILL to the whole group (the socket stays). */
  stopFpm(how: 'graceful' | 'kill'): Promise<void>;
  stop(): Promise<void>;
}

const PHP_DEFAULTS: Record<string, string> = {
  'index.php': '<?php echo "php ok\\n";',
};

/** FastCGI params inline (the system's /etc/nginx/fastcgi_params is not read). */
const FASTCGI_PARAMS = [
  'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;',
  'fastcgi_param SCRIPT_NAME $fastcgi_script_name;',
  'fastcgi_param QUERY_STRING $query_string;',
  'fastcgi_param REQUEST_METHOD $request_method;',
  'fastcgi_param REQUEST_URI $request_uri;',
  'fastcgi_param DOCUMENT_ROOT $document_root;',
  'fastcgi_param SERVER_PROTOCOL $server_protocol;',
  'fastcgi_param GATEWAY_INTERFACE CGI/1.1;',
  'fastcgi_param REMOTE_ADDR $remote_addr;',
  'fastcgi_param SERVER_NAME $server_name;',
  'fastcgi_param SERVER_PORT $server_port;',
];

export function nginxConf(spec: SiteSpec, dir: string, port: number, backends: Backends): string {
  const sub = (l: string) => l.replaceAll('@DIR@', dir);
  const errorLog = spec.errorLog ?? `${dir}/logs/error.log`;
  const quoted = /[\s;'"{}$`]/.test(errorLog) ? `"${errorLog}"` : errorLog;
  return [
    'daemon off;',
    'worker_processes 1;',
    `user ${WEB_USER};`,
    `pid ${dir}/run/nginx.pid;`,
    `error_log ${quoted};`,
    ...(spec.main ?? []).map(sub),
    'events { worker_connections 512; }',
    'http {',
    '    default_type text/plain;',
    `    access_log ${dir}/logs/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${dir}/temp/${t};`),
    ...(spec.http ?? []).map((l) => `    ${sub(l)}`),
    '    server {',
    `        listen 127.0.0.1:${port};`,
    `        root ${dir}/www;`,
    '        location = /health { return 200 "healthy\\n"; }',
    `        location /app/ { proxy_pass http://127.0.0.1:${backends.ok}; }`,
    ...(spec.fpm === false
      ? []
      : [
          '        location ~ \\.php$ {',
          `            fastcgi_pass unix:${dir}/run/php.sock;`,
          ...(spec.fastcgiReadTimeout ? [`            fastcgi_read_timeout ${spec.fastcgiReadTimeout};`] : []),
          ...FASTCGI_PARAMS.map((l) => `            ${l}`),
          '        }',
        ]),
    ...(spec.server ?? []).map((l) => `        ${sub(l)}`),
    '    }',
    '}',
    '',
  ].join('\n');
}

export function fpmConf(dir: string): string {
  return ['[global]', `pid = ${dir}/run/php-fpm.pid`, `error_log = ${dir}/logs/php-fpm.log`, 'daemonize = no', 'rlimit_core = 0', `include = ${dir}/pool.d/*.conf`, ''].join('\n');
}

export function poolConf(dir: string, p: FpmPool): string {
  const pm = p.pm ?? 'static';
  return [
    '[www]',
    `user = ${WEB_USER}`,
    `group = ${WEB_USER}`,
    `listen = ${dir}/run/php.sock`,
    `listen.owner = ${p.listenOwner ?? WEB_USER}`,
    `listen.group = ${p.listenGroup ?? WEB_USER}`,
    `listen.mode = ${p.listenMode ?? '0660'}`,
    ...(p.backlog !== undefined ? [`listen.backlog = ${p.backlog}`] : []),
    `pm = ${pm}`,
    `pm.max_children = ${p.maxChildren ?? 2}`,
    ...(pm === 'dynamic' ? ['pm.start_servers = 1', 'pm.min_spare_servers = 1', 'pm.max_spare_servers = 1'] : []),
    ...(p.requestTerminateTimeout ? [`request_terminate_timeout = ${p.requestTerminateTimeout}`] : []),
    'rlimit_core = 0',
    ...(p.extra ?? []),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The lab.

export interface DiagnoseRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
  /** The parsed --json output, when there is one. */
  json?: DiagnoseJson;
}

export interface DiagnoseJson {
  targets: {
    target: string;
    error?: string;
    durationMs: number;
    causes: { id: string; title: string; confidence: string; score: number; evidence: { source: string; summary: string; count: number; samples: string[] }[] }[];
    probes: { id: string; status: string; durationMs: number; note?: string }[];
    findings: unknown[];
    notes?: string[];
    access?: { total: number; s502: number; s504: number; s5xx: number };
  }[];
}

export interface RequestResult {
  statuses: number[];
  /** Count per status (0: the connection failed). */
  counts: Record<number, number>;
}

export class Lab {
  readonly root: string;
  /** A HOME for the CLI without ~/.ssh: only what the tests pass is used. */
  readonly home: string;
  readonly knownHosts: string;
  private sites = new Set<Site>();

  private constructor(
    readonly ns: Namespace,
    readonly sshd: Sshd,
    readonly backends: Backends,
    root: string,
  ) {
    this.root = root;
    this.home = path.join(root, 'home');
    fs.mkdirSync(this.home, { mode: 0o700 });
    this.knownHosts = tempKnownHosts(sshd.knownHostsLines(), fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-lab-kh-')));
  }

  static async start(): Promise<Lab> {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-lab-'));
    fs.chmodSync(root, 0o755); // www-data traverses to www/ and run/php.sock
    let ns: Namespace | undefined;
    let sshd: Sshd | undefined;
    let backends: Backends | undefined;
    try {
      ns = await startNamespace();
      // Every SSH session runs in the lab's namespace: sshd runs the client's command there.
      sshd = await startSshd({ extraConfig: [`ForceCommand exec ${ns.enter.join(' ')} /bin/sh -c "$SSH_ORIGINAL_COMMAND"`] });
      backends = await startBackends();
      return new Lab(ns, sshd, backends, root);
    } catch (e) {
      await sshd?.stop();
      await backends?.stop();
      await ns?.stop();
      fs.rmSync(root, { recursive: true, force: true });
      throw e;
    }
  }

  get target(): string {
    return `root@127.0.0.1:${this.sshd.port}`;
  }

  get key(): string {
    return this.sshd.clientKey.path;
  }

  /** Writes a site's folder and starts its PHP-FPM (unless fpm is false) and nginx. */
  async site(spec: SiteSpec): Promise<Site> {
    const dir = path.join(this.root, spec.name);
    for (const d of ['logs', 'run', 'temp', 'www', 'pool.d']) fs.mkdirSync(path.join(dir, d), { recursive: true });
    fs.chmodSync(dir, 0o755);
    const errorLog = spec.errorLog ?? `${dir}/logs/error.log`;
    fs.mkdirSync(path.dirname(errorLog), { recursive: true });
    for (const [name, src] of Object.entries({ ...PHP_DEFAULTS, ...(spec.php ?? {}) })) fs.writeFileSync(path.join(dir, 'www', name), src);
    const logs = { error: errorLog, access: path.join(dir, 'logs', 'access.log'), fpm: path.join(dir, 'logs', 'php-fpm.log') };
    const socket = path.join(dir, 'run', 'php.sock');

    let fpm: Proc | undefined;
    const startFpm = async (): Promise<void> => {
      if (spec.fpm === false) return;
      fs.writeFileSync(path.join(dir, 'php-fpm.conf'), fpmConf(dir));
      fs.writeFileSync(path.join(dir, 'pool.d', 'www.conf'), poolConf(dir, spec.fpm ?? {}));
      fs.rmSync(socket, { force: true });
      const p = await startProc(`php-fpm ${spec.name}`, PHP_FPM!, ['-y', path.join(dir, 'php-fpm.conf'), '-p', dir], { ns: this.ns });
      site.fpm = fpm = p;
      await until(`PHP-FPM of ${spec.name} to listen on ${socket}`, async () => {
        if (!p.running()) throw new Error(`php-fpm exited:\n${p.output()}\n${readIf(logs.fpm)}`);
        return fs.existsSync(socket) && readIf(logs.fpm).includes('ready to handle connections');
      });
    };

    // nginx on a free port (retried if another process takes it meanwhile).
    let nginx: Proc | undefined;
    let port = 0;
    for (let attempt = 0; attempt < 5 && !nginx; attempt++) {
      port = await freePort();
      fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(spec, dir, port, this.backends));
      const p = await startProc(`nginx ${spec.name}`, NGINX!, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'logs', 'startup.log')], { ns: this.ns });
      const ok = await until(`nginx of ${spec.name} to listen on ${port}`, async () => !p.running() || (await canConnect({ host: '127.0.0.1', port }))).then(
        () => p.running(),
      );
      if (ok) nginx = p;
      else {
        const why = `${p.output()}${readIf(path.join(dir, 'logs', 'startup.log'))}${readIf(errorLog)}`;
        await p.stop();
        if (!/Address already in use/.test(why)) throw new Error(`nginx did not start:\n${why}`);
      }
    }
    if (!nginx) throw new Error('nginx did not find a free port');

    const site: Site = {
      name: spec.name,
      dir,
      port,
      nginx,
      socket,
      logs,
      startFpm,
      stopFpm: async (how) => {
        const p = fpm;
        if (!p) return;
        if (how === 'graceful') {
          // The master alone: it stops its workers and removes its socket.
          p.signal('SIGQUIT', false);
          await Promise.race([p.exited, new Promise((r) => setTimeout(r, 5000))]);
          await p.stop();
        } else {
          // Master and workers at once (the workers share the group): nothing removes the socket.
          p.signal('SIGKILL');
          await p.exited;
        }
        live.delete(p);
        fpm = undefined;
        site.fpm = undefined;
      },
      stop: async () => {
        this.sites.delete(site);
        await Promise.all([site.nginx.stop(), fpm?.stop()]);
      },
    };
    this.sites.add(site);
    try {
      await startFpm();
    } catch (e) {
      await site.stop();
      throw e;
    }
    return site;
  }

  /** `count` GET requests to `urlPath` on the site, `concurrency` at a time; each on its own connection. */
  async requests(site: Site, urlPath: string, count = 1, concurrency = 1, timeoutMs = 20_000): Promise<RequestResult> {
    const statuses: number[] = [];
    let next = 0;
    const one = () =>
      new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: site.port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', () => resolve(0));
      });
    const worker = async () => {
      while (next < count) {
        next++;
        statuses.push(await one());
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    const counts: Record<number, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    return { statuses, counts };
  }

  /**
   * Runs `ngx502 diagnose` (by default over SSH to the lab's sshd, --json, --since 10m). The
   * `local` target runs the CLI inside the lab's namespace, as on the lab host itself.
   */
  diagnose(opts: { args?: string[]; target?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; json?: boolean } = {}): Promise<DiagnoseRun> {
    const target = opts.target ?? this.target;
    const base = target === 'local' ? ['diagnose', 'local'] : ['diagnose', target, '--identity', this.key, '--known-hosts', this.knownHosts];
    const args = [CLI, ...base, ...(opts.json === false ? [] : ['--json']), '--since', '10m', ...(opts.args ?? [])];
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: this.home, ...(opts.env ?? {}) };
    delete env.SSH_AUTH_SOCK;
    const argv = target === 'local' ? [...this.ns.enter, process.execPath, ...args] : [process.execPath, ...args];
    return runCli(argv, env, opts.timeoutMs ?? 60_000);
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.sites].map((s) => s.stop()));
    await Promise.allSettled([this.sshd.stop(), this.backends.stop()]);
    await this.ns.stop();
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.rmSync(path.dirname(this.knownHosts), { recursive: true, force: true });
  }
}

/**
 * Runs argv (a node and the CLI, possibly behind nsenter) in its own process group, killed as a
 * group after `timeoutMs`; `onStderr` sees stderr as it comes (to act at a stage).
 */
export function runCli(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number, onStderr?: (all: string) => void): Promise<DiagnoseRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone.
      }
    }, timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr);
    });
    child.once('error', (e) => (stderr += `\n${e.message}`));
    child.once('close', (code) => {
      clearTimeout(timer);
      let json: DiagnoseJson | undefined;
      try {
        json = stdout.trim().startsWith('{') ? (JSON.parse(stdout) as DiagnoseJson) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code, stdout, stderr, ms: Date.now() - t0, timedOut, json });
    });
  });
}

/** The last `bytes` of a file as text ('' when it cannot be read). */
export function tailOf(file: string, bytes = 4096): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, bytes);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').replace(/\0+/g, '');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

function readIf(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Whether any process is still in process group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
