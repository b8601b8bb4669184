// What a *_pass directive points at: a unix socket, host:port, an upstream group or a variable.

import type { ScopedDirective } from '../site/scope';

export interface PassTarget {
  kind: 'unix' | 'inet' | 'variable';
  scheme?: string;
  /** Host (lower case, no brackets) for inet; the socket path for unix. */
  host: string;
  port?: number;
  /** Whether the port was written (else it is the scheme's default). */
  explicitPort?: boolean;
  /** The URI part after host[:port], when present ("/api/"). */
  uri?: string;
  /** Offset of the host inside the argument's raw text, for precise edits. */
  hostStart: number;
  hostEnd: number;
}

const DEFAULT_PORT: Record<string, number> = { http: 80, https: 443, grpc: 80, grpcs: 443 };

const memo = new WeakMap<object, PassTarget | null>();

/** Parses the address of proxy_pass/fastcgi_pass/grpc_pass/uwsgi_pass/scgi_pass (memoized per directive). */
export function passTarget(sd: ScopedDirective): PassTarget | undefined {
  const hit = memo.get(sd.d);
  if (hit !== undefined) return hit ?? undefined;
  const t = parsePass(sd);
  memo.set(sd.d, t ?? null);
  return t;
}

function parsePass(sd: ScopedDirective): PassTarget | undefined {
  const arg = sd.d.args[0];
  if (!arg) return undefined;
  const v = arg.value;
  const off = arg.quote ? 1 : 0;
  let rest = v;
  let scheme: string | undefined;
  const sm = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (sm) {
    scheme = sm[1].toLowerCase();
    rest = v.slice(sm[0].length);
  }
  const base = v.length - rest.length;
  if (rest.startsWith('unix:')) {
    const path = rest.slice(5).split(':')[0];
    return { kind: 'unix', scheme, host: path, hostStart: off + base + 5, hostEnd: off + base + 5 + path.length };
  }
  const m = /^(\[[^\]]*\]|[^/:?]*)(?::(\d+|\$\w+))?(.*)$/.exec(rest);
  if (!m) return undefined;
  const rawHost = m[1];
  const host = rawHost.replace(/^\[|\]$/g, '').toLowerCase();
  const hostStart = off + base;
  const hostEnd = hostStart + rawHost.length;
  if (host.includes('$')) return { kind: 'variable', scheme, host, hostStart, hostEnd, uri: m[3] || undefined };
  const port = m[2] && /^\d+$/.test(m[2]) ? Number(m[2]) : scheme ? DEFAULT_PORT[scheme] : undefined;
  return { kind: 'inet', scheme, host, port, explicitPort: !!m[2], uri: m[3] || undefined, hostStart, hostEnd };
}

export function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-f:.]+$/i.test(host));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || /^127\./.test(host) || host === '::1';
}
