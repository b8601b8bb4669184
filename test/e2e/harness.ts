// What both runners of the e2e suite share: the lab host (a real sshd and nginx, test/lab/lab.ts)
// with a site whose first cause is upstream-refused, a HOME whose ~/.ssh/config names it, and
// the suite's bundle.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import type { Lab, Site } from '../lab/lab';
import type { LabInfo } from './suite/env';

export const ROOT = path.resolve(__dirname, '../..');
export const WORK = path.join(ROOT, 'test', '.work', 'e2e');
/** The lab host's alias in the e2e HOME's ~/.ssh/config. */
export const ALIAS = 'ngx502-lab';

/**
 * The e2e site: /closed/ proxies to a port nothing listens on (5 requests made: the 502s);
 * /local/ names its backend "localhost", a static finding with a file and line (file buttons).
 */
export async function labSite(lab: Lab): Promise<Site> {
  const site = await lab.site({
    name: 'e2e',
    fpm: false,
    server: [`location /closed/ { proxy_pass http://127.0.0.1:${lab.backends.closed}; }`, `location /local/ { proxy_pass http://localhost:${lab.backends.ok}; }`],
  });
  const r = await lab.requests(site, '/closed/x', 5, 5);
  if (r.counts[502] !== 5) throw new Error(`the lab answers ${JSON.stringify(r.counts)} on /closed/, not 502`);
  return site;
}

/** Bundles test/e2e/suite/ (index.js and one file per *.test.ts; vscode and mocha stay external). */
export async function buildSuite(out: string): Promise<void> {
  const dir = path.join(ROOT, 'test/e2e/suite');
  await esbuild.build({
    entryPoints: fs.readdirSync(dir).filter((f) => f === 'index.ts' || f.endsWith('.test.ts')).map((f) => path.join(dir, f)),
    outdir: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}

/** Aliases of the e2e HOME's ~/.ssh/config besides ALIAS (same host): a changed host key, a passphrase-protected key. */
export const ALIAS_CHANGED = `${ALIAS}-changed`;
export const ALIAS_PASSPHRASE = `${ALIAS}-passphrase`;

/** A made-up ed25519 public key blob (the "changed" key known_hosts holds for ALIAS_CHANGED). */
function fakeEd25519(): Buffer {
  const string = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  return Buffer.concat([string(Buffer.from('ssh-ed25519')), string(Buffer.alloc(32, 7))]);
}

/**
 * A HOME for VS Code's extension host: ~/.ssh/config names the lab host (ALIAS, with
 * `knownHosts` in its known_hosts), the same host with a different key on record
 * (ALIAS_CHANGED), and, when given, a key with a passphrase (ALIAS_PASSPHRASE).
 */
export function makeHome(dir: string, lab: Lab, knownHosts: string[], passphraseKey?: string): string {
  const ssh = path.join(dir, '.ssh');
  fs.mkdirSync(ssh, { recursive: true, mode: 0o700 });
  const host = (alias: string, key: string, knownHostsFile: string) => [`Host ${alias}`, '  HostName 127.0.0.1', `  Port ${lab.sshd.port}`, '  User root', `  IdentityFile ${key}`, '  IdentitiesOnly yes', `  UserKnownHostsFile ${knownHostsFile}`, ''];
  fs.writeFileSync(
    path.join(ssh, 'config'),
    [
      ...host(ALIAS, lab.key, path.join(ssh, 'known_hosts')),
      ...host(ALIAS_CHANGED, lab.key, path.join(ssh, 'known_hosts_changed')),
      ...(passphraseKey ? host(ALIAS_PASSPHRASE, passphraseKey, path.join(ssh, 'known_hosts')) : []),
    ].join('\n'),
    { mode: 0o600 },
  );
  fs.writeFileSync(path.join(ssh, 'known_hosts'), knownHosts.map((l) => l + '\n').join(''), { mode: 0o600 });
  fs.writeFileSync(path.join(ssh, 'known_hosts_changed'), `[127.0.0.1]:${lab.sshd.port} ssh-ed25519 ${fakeEd25519().toString('base64')}\n`, { mode: 0o600 });
  return dir;
}

export function labInfo(site: Site): LabInfo {
  return { target: ALIAS, port: site.port, dir: site.dir, nginxConf: path.join(site.dir, 'nginx.conf'), errorLog: site.logs.error, accessLog: site.logs.access };
}

