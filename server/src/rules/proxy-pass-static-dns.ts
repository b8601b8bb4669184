// proxy_pass / upstream server with a hostname: nginx resolves it once, at start-up or reload,
// and keeps the addresses until the next reload. When the backend's address changes (a
// container restarted, a cloud load balancer rotated), requests go to the old address.

import { versionLess } from '../nginx/directives';
import { allScopes, effective, own, serverOf, upstreams, type Scope, type ScopedDirective } from '../site/scope';
import { insertAfter, insertInBlock } from './edits';
import type { FileEdit, Finding, Fix, Rule, RuleContext } from './rule';
import { isIp, passTarget } from './targets';

const DEFAULT_RESOLVER = '127.0.0.53';

function resolverEdit(ctx: RuleContext, scope: Scope): FileEdit | undefined {
  if (effective(scope, 'resolver').length > 0) return undefined;
  const server = serverOf(scope);
  return server ? insertInBlock(ctx, server, `resolver ${DEFAULT_RESOLVER} valid=30s;  # ngx502: your DNS server`) : undefined;
}

function varName(host: string): string {
  return 'ngx502_' + host.replace(/[^a-z0-9]/gi, '_');
}

export const proxyPassStaticDns: Rule = {
  id: 'proxy-pass-static-dns',
  severity: 'warning',
  lands: 'nginx',
  title: 'a backend hostname resolved only at start-up',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    const groups = upstreams(ctx.nginx);
    const resolveParam = !ctx.nginxVersion || !versionLess(ctx.nginxVersion, [1, 27, 3]);
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        if (sd.d.name === 'proxy_pass' && scope.ctx !== 'stream_server') {
          const t = passTarget(sd);
          if (!t || t.kind !== 'inet' || isIp(t.host) || t.host === 'localhost' || groups.has(t.host)) continue;
          // A dotless name may be an upstream defined in a file this tree does not reach: only
          // judge it when the tree starts at the main config (every upstream is known).
          if (!t.host.includes('.') && ctx.nginx.ctx !== 'main') continue;
          const fixes: Fix[] = [];
          if (!t.uri) {
            const v = varName(t.host);
            const port = t.port && !(t.scheme === 'http' && t.port === 80) && !(t.scheme === 'https' && t.port === 443) ? `:${t.port}` : '';
            const edits: FileEdit[] = [
              insertAfter(ctx, prevOf(scope, sd) ?? sd, `set $${v} ${t.host};`),
              { file: sd.file, span: sd.d.args[0].span, newText: `${t.scheme ?? 'http'}://$${v}${port}` },
            ];
            const r = resolverEdit(ctx, scope);
            if (r) edits.push(r);
            fixes.push({ title: `Resolve ${t.host} at request time (resolver + variable)`, preferred: true, edits });
          }
          out.push({
            rule: this.id,
            file: sd.file,
            span: sd.d.args[0].span,
            message: `"${t.host}" is resolved once, when nginx starts or reloads; if its address changes, requests keep going to the old one and fail with "connect() failed (111: Connection refused)" or "upstream timed out (110)" (502/504) until the next reload.`,
            fixes,
          });
        }
        if (sd.d.name === 'server' && scope.ctx === 'upstream') {
          const a = sd.d.args[0];
          if (!a) continue;
          const host = a.value.replace(/:\d+$/, '').toLowerCase();
          if (host.startsWith('unix:') || isIp(host.replace(/^\[|\]$/g, '')) || host === 'localhost') continue;
          if (sd.d.args.some((x) => x.value === 'resolve')) continue;
          const fixes: Fix[] = [];
          if (resolveParam) {
            const edits: FileEdit[] = [{ file: sd.file, span: { start: a.span.end, end: a.span.end }, newText: ' resolve' }];
            if (own(scope, 'zone').length === 0) {
              const z = insertInBlock(ctx, scope, `zone ${scope.block!.d.args[0].value} 64k;`);
              if (z) edits.push(z);
            }
            if (effective(scope, 'resolver').length === 0) {
              const z = insertInBlock(ctx, scope, `resolver ${DEFAULT_RESOLVER} valid=30s;  # ngx502: your DNS server`);
              if (z) edits.push(z);
            }
            fixes.push({ title: `Re-resolve ${host} while running (server ... resolve, with a zone; nginx >= 1.27.3)`, preferred: true, edits });
          }
          out.push({
            rule: this.id,
            file: sd.file,
            span: a.span,
            message:
              `upstream server "${host}" is resolved once, at start-up or reload; when its address changes, nginx keeps the old one (502/504 until a reload).` +
              (resolveParam ? '' : ` nginx ${ctx.nginxVersion!.join('.')} has no "resolve" parameter (it appeared in 1.27.3): proxy_pass with a variable and a resolver re-resolves instead.`),
            fixes,
          });
        }
      }
    }
    return out;
  },
};

/** The directive before `sd` in its scope, from the same file (so a `set` lands before the pass). */
function prevOf(scope: Scope, sd: ScopedDirective): ScopedDirective | undefined {
  const i = scope.items.indexOf(sd);
  for (let j = i - 1; j >= 0; j--) if (scope.items[j].file === sd.file) return scope.items[j];
  return undefined;
}
