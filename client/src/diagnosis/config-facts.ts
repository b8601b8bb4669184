// What the host's nginx configuration says the diagnosis should look at: every error and
// access log (with the access log's format), every backend address (unix sockets to stat,
// host:ports to connect to, names to resolve) and where each is written.

import type { NginxProject, Tree } from '../../../server/src/nginx/project';
import { allScopes, buildScopes, own, upstreams, type Scope, type ScopedDirective } from '../../../server/src/site/scope';
import { isIp, passTarget } from '../../../server/src/rules/targets';
import { nginxUser } from '../../../server/src/site/links';

export interface Where {
  file: string;
  line: number;
}

export interface LogRef {
  path: string;
  where?: Where;
}

export interface AccessLogRef extends LogRef {
  formatName: string;
  /** The log_format string (the predefined `combined` when not declared). */
  format: string;
}

export interface Backend {
  directive: string;
  kind: 'unix' | 'inet';
  /** Socket path, or host name/IP. */
  host: string;
  port?: number;
  scheme?: string;
  /** The upstream group it was reached through. */
  upstream?: string;
  where: Where;
}

export interface ConfigFacts {
  errorLogs: LogRef[];
  accessLogs: AccessLogRef[];
  backends: Backend[];
  user?: string;
  group?: string;
}

export const COMBINED = '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"';

const PASS = new Set(['proxy_pass', 'fastcgi_pass', 'uwsgi_pass', 'scgi_pass', 'grpc_pass']);

function where(sd: ScopedDirective): Where {
  return { file: sd.file, line: sd.d.nameSpan.start.line + 1 };
}

/** A log path nginx writes to a file (not stderr, syslog or memory). */
function fileLog(v: string | undefined, prefix: string): string | undefined {
  if (!v || v === 'off' || v === 'stderr' || v.startsWith('syslog:') || v.startsWith('memory:') || v.includes('$')) return undefined;
  return v.startsWith('/') ? v : `${prefix.replace(/\/$/, '')}/${v}`;
}

export function configFacts(tree: Tree | undefined, project: NginxProject | undefined, defaults: { errorLog?: string; accessLog?: string; prefix?: string }): ConfigFacts {
  const facts: ConfigFacts = { errorLogs: [], accessLogs: [], backends: [] };
  const prefix = defaults.prefix ?? '/etc/nginx/';
  const root: Scope | undefined = tree && project ? buildScopes(tree, project) : undefined;
  const formats = new Map<string, string>([['combined', COMBINED]]);
  if (root) {
    for (const scope of allScopes(root)) {
      for (const sd of own(scope, 'log_format')) {
        const args = sd.d.args.map((a) => a.value);
        const name = args.shift();
        if (args[0]?.startsWith('escape=')) args.shift();
        if (name) formats.set(name, args.join(''));
      }
    }
    const seenErr = new Set<string>();
    const seenAcc = new Set<string>();
    for (const scope of allScopes(root)) {
      for (const sd of scope.items) {
        if (sd.d.name === 'error_log') {
          const p = fileLog(sd.d.args[0]?.value, prefix);
          if (p && !seenErr.has(p)) {
            seenErr.add(p);
            facts.errorLogs.push({ path: p, where: where(sd) });
          }
        } else if (sd.d.name === 'access_log') {
          const p = fileLog(sd.d.args[0]?.value, prefix);
          if (p && !seenAcc.has(p)) {
            seenAcc.add(p);
            const formatName = sd.d.args[1] && !sd.d.args[1].value.includes('=') ? sd.d.args[1].value : 'combined';
            facts.accessLogs.push({ path: p, formatName, format: formats.get(formatName) ?? COMBINED, where: where(sd) });
          }
        } else if (PASS.has(sd.d.name)) {
          const t = passTarget(sd);
          if (!t || t.kind === 'variable') continue;
          facts.backends.push(...backendsOf(sd, t, upstreams(root)));
        }
      }
    }
    const u = nginxUser(root);
    if (u && !u.defaulted) {
      facts.user = u.user;
      facts.group = u.group;
    }
  }
  // nginx's built-in logs apply only where the config names none: the error log without a
  // main-level error_log, the access log in a server with no access_log of its own or from http.
  // (Reading them anyway would mix in another nginx's lines, or stale ones.)
  const builtinErr = fileLog(defaults.errorLog, prefix);
  const mainErr = root ? own(root, 'error_log').length > 0 : false;
  if (builtinErr && !mainErr && !facts.errorLogs.some((l) => l.path === builtinErr)) facts.errorLogs.push({ path: builtinErr });
  const builtinAcc = fileLog(defaults.accessLog, prefix);
  const servers = root ? [...allScopes(root)].filter((sc) => sc.block?.d.name === 'server' && sc.parent?.block?.d.name === 'http') : [];
  const accessEverywhere = servers.length > 0 && servers.every((sc) => own(sc, 'access_log').length > 0 || (sc.parent !== undefined && own(sc.parent, 'access_log').length > 0));
  if (builtinAcc && !accessEverywhere && !facts.accessLogs.some((l) => l.path === builtinAcc)) facts.accessLogs.push({ path: builtinAcc, formatName: 'combined', format: COMBINED });
  return facts;
}

function backendsOf(sd: ScopedDirective, t: NonNullable<ReturnType<typeof passTarget>>, groups: Map<string, Scope>): Backend[] {
  if (t.kind === 'unix') return [{ directive: sd.d.name, kind: 'unix', host: t.host, where: where(sd) }];
  const group = groups.get(t.host);
  if (group && !t.explicitPort) {
    return own(group, 'server').flatMap((s): Backend[] => {
      const v = s.d.args[0]?.value ?? '';
      if (v.startsWith('unix:')) return [{ directive: sd.d.name, kind: 'unix', host: v.slice(5), upstream: t.host, where: where(s) }];
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(v);
      if (!m) return [];
      const port = m[2] ? Number(m[2]) : sd.d.name === 'fastcgi_pass' ? 9000 : 80;
      return [{ directive: sd.d.name, kind: 'inet', host: m[1].replace(/^\[|\]$/g, ''), port, scheme: t.scheme, upstream: t.host, where: where(s) }];
    });
  }
  return [{ directive: sd.d.name, kind: 'inet', host: t.host, port: t.port ?? (sd.d.name === 'fastcgi_pass' ? 9000 : 80), scheme: t.scheme, where: where(sd) }];
}

/** Hostnames (not IPs) among backends, for DNS checks. */
export function backendNames(facts: ConfigFacts): string[] {
  return [...new Set(facts.backends.filter((b) => b.kind === 'inet' && !isIp(b.host)).map((b) => b.host))];
}
