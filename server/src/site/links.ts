// The links between nginx and PHP-FPM: which pool each fastcgi_pass reaches (unix socket or
// host:port, directly or through an upstream), and the user nginx's workers run as.

import { allScopes, mainDirective, own, upstreams, type Scope, type ScopedDirective } from './scope';
import { poolListen, type Pool } from './pools';
import { isLoopback, passTarget } from '../rules/targets';

export interface FastcgiLink {
  pass: ScopedDirective;
  scope: Scope;
  /** Addresses nginx connects to: `unix:/path` or `host:port`. */
  addresses: string[];
  /** Pools listening on one of them. */
  pools: Pool[];
  /** The upstream group in between, if any. */
  upstream?: Scope;
}

function normalizeInet(host: string, port: number | undefined): string {
  return `${host.replace(/^\[|\]$/g, '').toLowerCase()}:${port ?? ''}`;
}

/** Whether a pool listening at `listen` accepts nginx connecting to `address`. */
export function listensOn(listen: string, address: string): boolean {
  if (listen.startsWith('unix:') || address.startsWith('unix:')) return listen === address;
  const [lh, lp] = [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)];
  const [ah, ap] = [address.slice(0, address.lastIndexOf(':')), address.slice(address.lastIndexOf(':') + 1)];
  if (lp !== ap) return false;
  if (lh === '*' || lh === ah) return true;
  return isLoopback(lh) && isLoopback(ah) && (lh === 'localhost' || ah === 'localhost' || lh.startsWith('127.') === ah.startsWith('127.'));
}

const linkMemo = new WeakMap<Scope, { pools: readonly Pool[]; links: FastcgiLink[] }>();

/** The fastcgi_pass -> pool links of a view (memoized per view and pool list: several rules ask). */
export function fastcgiLinks(root: Scope | undefined, pools: readonly Pool[]): FastcgiLink[] {
  if (!root) return [];
  const hit = linkMemo.get(root);
  if (hit && hit.pools === pools) return hit.links;
  const links = computeLinks(root, pools);
  linkMemo.set(root, { pools, links });
  return links;
}

function computeLinks(root: Scope, pools: readonly Pool[]): FastcgiLink[] {
  const groups = upstreams(root);
  const out: FastcgiLink[] = [];
  for (const scope of allScopes(root)) {
    for (const sd of scope.items) {
      if (sd.d.name !== 'fastcgi_pass') continue;
      const t = passTarget(sd);
      if (!t || t.kind === 'variable') continue;
      let addresses: string[];
      let upstream: Scope | undefined;
      if (t.kind === 'unix') addresses = ['unix:' + t.host];
      else if (groups.has(t.host) && !t.explicitPort) {
        upstream = groups.get(t.host)!;
        addresses = own(upstream, 'server').flatMap((s) => {
          const v = s.d.args[0]?.value ?? '';
          if (v.startsWith('unix:')) return ['unix:' + v.slice(5)];
          const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(v);
          return m ? [normalizeInet(m[1], m[2] ? Number(m[2]) : 80)] : [];
        });
      } else addresses = [normalizeInet(t.host, t.port ?? 9000)];
      const linked = pools.filter((p) => {
        const l = poolListen(p);
        return l !== undefined && addresses.some((a) => listensOn(l, a));
      });
      out.push({ pass: sd, scope, addresses, pools: linked, upstream });
    }
  }
  return out;
}

export interface NginxUser {
  user: string;
  group: string;
  /** The `user` directive, when written. */
  at?: ScopedDirective;
  /** True when nginx's compiled-in default applies (no `user` directive in a main config). */
  defaulted: boolean;
}

/** The user nginx's workers run as, when the tree has the main config. */
export function nginxUser(root: Scope | undefined): NginxUser | undefined {
  if (!root || root.ctx !== 'main') return undefined;
  const u = mainDirective(root, 'user');
  if (!u) return { user: 'nobody', group: 'nogroup', defaulted: true };
  const user = u.d.args[0]?.value ?? 'nobody';
  return { user, group: u.d.args[1]?.value ?? user, at: u, defaulted: false };
}
