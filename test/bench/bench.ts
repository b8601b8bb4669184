// `npm run bench`: speed and memory, as ratios against baselines measured in the same run.
// - a generated tree of 1,000 server blocks in 1,000 included files (~100k lines) plus one
//   5,000-line file: our full-tree check beside `nginx -t` on the same tree;
// - re-check after a one-character edit in the 5,000-line file (median, p95), through the same
//   service the language server uses;
// - the language server's peak memory (VmHWM) after it checked the whole tree over stdio;
// - in a real VS Code (test/e2e/bench.ts; `--vscode-only` runs just that part): "Diagnose 502 on
//   host" to the first cause card beside the CLI, the log viewer while 1,000 lines/s are appended.
// Not a test: it prints numbers and the targets beside them; timing in tests is flaky here.

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { URI } from 'vscode-uri';
import { NginxService } from '../../server/src/service';
import { DEFAULT_SETTINGS } from '../../server/src/settings';
import { SERVER_EXEC_ARGV } from '../../client/src/serverArgs';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'client', 'out', 'cli.js');
const SERVER = path.join(ROOT, 'server', 'out', 'server.js');
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => fs.existsSync(p));

function site(i: number): string {
  const lines = [
    `# site ${i}`,
    'server {',
    `    listen 127.0.0.1:${20000 + (i % 20000)};`,
    `    server_name site${i}.example.test www.site${i}.example.test;`,
    `    root /var/www/site${i}/public;`,
    '    index index.php index.html;',
    '    access_log off;',
    '    client_max_body_size 16m;',
  ];
  let n = 0;
  while (lines.length < 96) {
    n++;
    lines.push(
      `    location /app${n}/ {`,
      `        proxy_pass http://127.0.0.1:${9000 + (n % 100)};`,
      '        proxy_set_header Host $host;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_read_timeout 60s;',
      '        proxy_buffers 8 16k;',
      '        proxy_buffer_size 16k;',
      '        add_header X-App "app' + n + '" always;',
      '    }',
    );
  }
  lines.push('    location ~ \\.php$ {', '        fastcgi_pass unix:/run/php/php8.2-fpm.sock;', '        include fastcgi.conf;', '    }', '}');
  return lines.join('\n') + '\n';
}

function bigFile(): string {
  const parts: string[] = ['server {', '    listen 127.0.0.1:30000;', '    server_name big.example.test;'];
  let n = 0;
  while (parts.length < 4996) {
    n++;
    parts.push(`    location /big${n}/ {`, `        root /srv/big${n};`, '        expires 1h;', '        try_files $uri $uri/ =404;', '    }');
  }
  parts.push('}');
  return parts.join('\n') + '\n';
}

function makeTree(dir: string): { main: string; big: string; lines: number } {
  fs.mkdirSync(path.join(dir, 'sites'), { recursive: true });
  fs.copyFileSync('/etc/nginx/fastcgi.conf', path.join(dir, 'fastcgi.conf'));
  const main = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    main,
    [
      'worker_processes 1;',
      `error_log ${path.join(dir, 'error.log')};`,
      `pid ${path.join(dir, 'nginx.pid')};`,
      'events { worker_connections 1024; }',
      'http {',
      '    access_log off;',
      '    server_names_hash_bucket_size 128;',
      '    server_names_hash_max_size 8192;',
      '    include sites/*.conf;',
      '    include big.conf;',
      '}',
      '',
    ].join('\n'),
  );
  let lines = 12;
  for (let i = 0; i < 1000; i++) {
    const s = site(i);
    lines += s.split('\n').length - 1;
    fs.writeFileSync(path.join(dir, 'sites', `site${String(i).padStart(4, '0')}.conf`), s);
  }
  // PHP-FPM: a php-fpm.conf and 10 pools, one of which every site's PHP location reaches.
  fs.mkdirSync(path.join(dir, 'php', 'pool.d'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'php', 'php-fpm.conf'), `[global]\npid = /run/php/php-fpm.pid\nerror_log = /var/log/php-fpm.log\ninclude = ${path.join(dir, 'php', 'pool.d')}/*.conf\n`);
  for (let i = 0; i < 10; i++) {
    const sock = i === 0 ? '/run/php/php8.2-fpm.sock' : `/run/php/pool${i}.sock`;
    fs.writeFileSync(
      path.join(dir, 'php', 'pool.d', `pool${i}.conf`),
      `[pool${i}]\nuser = www-data\ngroup = www-data\nlisten = ${sock}\nlisten.owner = www-data\nlisten.group = www-data\npm = dynamic\npm.max_children = 20\npm.start_servers = 4\npm.min_spare_servers = 2\npm.max_spare_servers = 6\npm.max_requests = 500\nrequest_terminate_timeout = 120s\n`,
    );
  }
  const big = path.join(dir, 'big.conf');
  const b = bigFile();
  lines += b.split('\n').length - 1;
  fs.writeFileSync(big, b);
  return { main, big, lines };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)];
}

function timeCommand(cmd: string, args: string[], runs: number): { ms: number[]; status: number | null; stderr: string } {
  const ms: number[] = [];
  let status: number | null = 0;
  let stderr = '';
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    status = r.status;
    stderr = r.stderr;
  }
  return { ms, status, stderr };
}

async function serverPeakMemory(main: string, big: string): Promise<{ hwmMB: number; diagnosticsMs: number }> {
  const child = spawn(process.execPath, [...SERVER_EXEC_ARGV, SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  conn.listen();
  const root = path.dirname(main);
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: URI.file(root).toString(), capabilities: {}, workspaceFolders: [{ uri: URI.file(root).toString(), name: 'bench' }] });
  conn.sendNotification('initialized', {});
  const uri = URI.file(big).toString();
  const t0 = Date.now();
  const got = new Promise<void>((resolve) => {
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string }) => {
      if (p.uri === uri) resolve();
    });
  });
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'nginx', version: 1, text: fs.readFileSync(big, 'utf8') } });
  await got;
  const diagnosticsMs = Date.now() - t0;
  // Open the main file too, and a few sites: the whole tree is held.
  for (const f of [main, ...fs.readdirSync(path.join(root, 'sites')).slice(0, 20).map((s) => path.join(root, 'sites', s))]) {
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: URI.file(f).toString(), languageId: 'nginx', version: 1, text: fs.readFileSync(f, 'utf8') } });
  }
  await conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  await conn.sendRequest('shutdown');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await conn.sendNotification('exit');
  await exited;
  conn.dispose();
  return { hwmMB: hwm, diagnosticsMs };
}

/**
 * Runs a command without blocking the event loop (the lab's sshd and nginx log into pipes this
 * process reads: blocking it would stall them), and returns its wall time.
 */
function timed(cmd: string, args: string[], input?: string): Promise<{ ms: number; code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    c.stdout.resume();
    c.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += String(d);
    });
    c.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, code, stderr }));
    c.stdin.end(input ?? '');
  });
}

/**
 * ngx502 diagnose on the lab host over SSH (wall time of the CLI), beside one OpenSSH `ssh`
 * call running the same probe commands one after the other (the floor), and 20 targets at once.
 */
async function diagnoseBench(): Promise<void> {
  const { Lab, labSkipReason, CLI: LAB_CLI } = await import('../lab/lab');
  const skip = labSkipReason();
  if (skip) {
    console.log(`diagnose over SSH: skipped (${skip})`);
    return;
  }
  const { connectSsh } = await import('../../client/src/remote/ssh');
  const { diagnose } = await import('../../client/src/diagnosis/diagnose');
  const { quote } = await import('shell-quote');
  const step = (m: string): void => void fs.writeSync(2, `  [diagnose bench] ${m}\n`);
  step('starting the lab');
  const lab = await Lab.start();
  try {
    const site = await lab.site({ name: 'bench' });
    step('lab up');
    await lab.requests(site, '/index.php', 5, 5);
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await lab.diagnose();
      if (r.code !== 0) throw new Error(`diagnose failed: ${r.stderr}`);
      runs.push(r.ms);
    }
    step(`5 CLI runs: ${runs.map((x) => x.toFixed(0)).join(' ')} ms`);
    // Record the commands the engine runs, to replay them through one OpenSSH call.
    const t = await connectSsh({ target: lab.target, identityFiles: [lab.key], knownHostsFile: lab.knownHosts, agent: null });
    const recorded: { cmd: string; stdin?: string }[] = [];
    const recording = new Proxy(t, {
      get(target, prop, receiver) {
        if (prop === 'run') return (cmd: string, o: { stdin?: string | Buffer }) => (recorded.push({ cmd, stdin: o.stdin?.toString() }), target.run(cmd, o as never));
        if (prop === 'readTail') return (p: string, n: number, o?: object) => (recorded.push({ cmd: `tail -c ${n} -- ${quote([p])}` }), target.readTail(p, n, o));
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    await diagnose(recording);
    await t.close();
    step(`recorded ${recorded.length} commands`);
    const script = recorded
      .map((r, i) => (r.stdin !== undefined ? `sh -c ${quote([r.cmd])} <<'NGX502_${i}'\n${r.stdin.replace(/\n$/, '')}\nNGX502_${i}` : `sh -c ${quote([r.cmd])} </dev/null`) + ' >/dev/null 2>&1')
      .join('\n');
    const [host, port] = lab.target.replace(/^root@/, '').split(':');
    const floor: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await timed('ssh', ['-i', lab.key, '-p', port, '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', `root@${host}`, 'sh -s'], script);
      floor.push(r.ms);
      if (r.code !== 0 && i === 0) console.log(`  note: ssh floor exited ${r.code}: ${r.stderr.slice(0, 200)}`);
    }
    step(`floor runs: ${floor.map((x) => x.toFixed(0)).join(' ')} ms`);
    // 20 targets at once (the same lab host twenty times: 20 connections).
    const fleet: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await timed(process.execPath, [LAB_CLI, 'diagnose', ...Array(20).fill(lab.target), '--identity', lab.key, '--known-hosts', lab.knownHosts, '--json']);
      fleet.push(r.ms);
      if (r.code !== 0) console.log(`  note: fleet run exited ${r.code}: ${r.stderr.slice(0, 300)}`);
    }
    console.log(`diagnose over SSH (lab host: nginx + PHP-FPM + sshd on loopback; ${recorded.length} commands)`);
    console.log(`  ngx502 diagnose (CLI process, connect included): median ${median(runs).toFixed(0)} ms (target < 1000 ms)`);
    console.log(`  one OpenSSH ssh call running the same commands (floor): median ${median(floor).toFixed(0)} ms -> ratio ${(median(runs) / median(floor)).toFixed(2)} (target <= 1.5)`);
    console.log(`  20 targets at once: median ${median(fleet).toFixed(0)} ms (target < 3000 ms)`);
    await site.stop();
  } finally {
    await lab.stop();
  }
}

/** The VS Code part (test/e2e/bench.ts): the command -> first cause card, the log viewer under load. */
async function vscodeBench(): Promise<void> {
  const { vscodeBench: run } = await import('../e2e/bench');
  await run();
}

async function main(): Promise<void> {
  if (process.argv.includes('--diagnose-only')) return diagnoseBench();
  if (process.argv.includes('--vscode-only')) return vscodeBench();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-bench-'));
  try {
    const tree = makeTree(dir);
    if (process.argv.includes('--tree-only')) {
      console.log(dir);
      return;
    }
    console.log(`tree: 1 main + 1000 site files + 1 file of 5000 lines, ${tree.lines} lines in all (${dir})`);

    // 1. Full-tree check: our CLI (cold process, like nginx -t) beside nginx -t, same tree.
    const ours = timeCommand(process.execPath, [CLI, 'check', '--format', 'json', tree.main], 5);
    if (ours.status !== 0) console.log(`  note: ngx502 check exited ${ours.status}: ${ours.stderr.slice(0, 300)}`);
    let ratioLine = '  nginx -t: not installed, no baseline';
    if (NGINX) {
      const ng = timeCommand(NGINX, ['-t', '-q', '-p', dir + '/', '-c', tree.main], 5);
      if (ng.status !== 0) console.log(`  note: nginx -t exited ${ng.status}: ${ng.stderr.slice(0, 300)}`);
      ratioLine = `  nginx -t (baseline): median ${median(ng.ms).toFixed(0)} ms  -> ratio ours/nginx = ${(median(ours.ms) / median(ng.ms)).toFixed(2)} (target <= 1.00)`;
    }
    console.log('full-tree check');
    console.log(`  ngx502 check (cold process): median ${median(ours.ms).toFixed(0)} ms`);
    console.log(ratioLine);

    // 2. Re-check after a one-character edit in the 5,000-line file (the server's code path).
    const service = new NginxService();
    service.setWorkspaceRoots([dir]);
    const uri = URI.file(tree.big).toString();
    const text = fs.readFileSync(tree.big, 'utf8');
    service.open(uri, text, 1);
    const tFull0 = process.hrtime.bigint();
    service.problems(uri, DEFAULT_SETTINGS);
    const firstMs = Number(process.hrtime.bigint() - tFull0) / 1e6;
    const edits: number[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < 60; i++) {
      const line = 10 + ((i * 83) % 4900);
      const edited = [...lines];
      edited[line] = edited[line].replace(/;$/, i % 2 ? ';' : ' ;');
      const t0 = process.hrtime.bigint();
      service.open(uri, edited.join('\n'), i + 2);
      service.problems(uri, DEFAULT_SETTINGS);
      edits.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const warm = edits.slice(10);
    console.log('re-check after a one-character edit in the 5,000-line file (whole tree in context)');
    console.log(`  first check of the tree from the editor: ${firstMs.toFixed(0)} ms`);
    console.log(`  edit -> diagnostics: median ${median(warm).toFixed(1)} ms, p95 ${p95(warm).toFixed(1)} ms (target p95 < 30 ms)`);

    // 2b. Cross-file re-check after editing a pool file: its own checks plus the rules linking it
    // to the 1,000-site nginx tree (fastcgi_pass -> pool, timeouts, permissions).
    {
      const poolFile = path.join(dir, 'php', 'pool.d', 'pool0.conf');
      const puri = URI.file(poolFile).toString();
      const ptext = fs.readFileSync(poolFile, 'utf8');
      service.open(puri, ptext, 1);
      const tp0 = process.hrtime.bigint();
      const firstPool = service.problems(puri, DEFAULT_SETTINGS, 'php-fpm');
      const firstPoolMs = Number(process.hrtime.bigint() - tp0) / 1e6;
      const times: number[] = [];
      for (let i = 0; i < 40; i++) {
        const edited = ptext.replace('pm.max_children = 20', `pm.max_children = ${20 + (i % 7)}`);
        const t0 = process.hrtime.bigint();
        service.open(puri, edited, i + 2);
        service.problems(puri, DEFAULT_SETTINGS, 'php-fpm');
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const warmP = times.slice(5);
      console.log('cross-file re-check after an edit in a pool file (linked to the 1,000-site tree)');
      console.log(`  first check: ${firstPoolMs.toFixed(0)} ms (${firstPool.length} findings in the pool file)`);
      console.log(`  edit -> diagnostics: median ${median(warmP).toFixed(1)} ms, p95 ${p95(warmP).toFixed(1)} ms (target p95 < 50 ms)`);
    }

    // 3. Language server peak memory over stdio.
    const mem = await serverPeakMemory(tree.main, tree.big);
    console.log('language server (stdio)');
    console.log(`  didOpen -> publishDiagnostics on the 5,000-line file: ${mem.diagnosticsMs} ms`);
    console.log(`  peak memory (VmHWM): ${mem.hwmMB.toFixed(0)} MB (target < 150 MB)`);
  } finally {
    if (!process.argv.includes('--tree-only')) fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!process.argv.includes('--tree-only')) {
    await diagnoseBench();
    await vscodeBench();
  }
}

// The lab's helpers wait on unref'd children: keep the process alive until main() settles.
const keepAlive = setInterval(() => undefined, 1 << 30);
main()
  .finally(() => clearInterval(keepAlive))
  .catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
