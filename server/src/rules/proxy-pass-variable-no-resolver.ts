// proxy_pass with a variable host and no resolver: nginx resolves such names at request time
// and, without a resolver, logs "no resolver defined to resolve NAME" and answers 502.

import { allScopes, effective, serverOf, upstreams } from '../site/scope';
import { insertInBlock } from './edits';
import type { Finding, Rule } from './rule';
import { passTarget } from './targets';

const PASS = new Set(['proxy_pass', 'fastcgi_pass', 'grpc_pass', 'uwsgi_pass', 'scgi_pass']);

export const proxyPassVariableNoResolver: Rule = {
  id: 'proxy-pass-variable-no-resolver',
  severity: 'warning',
  lands: 'nginx',
  title: 'a variable backend with no resolver',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    const groups = upstreams(ctx.nginx);
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        if (!PASS.has(sd.d.name)) continue;
        const t = passTarget(sd);
        if (!t || t.kind !== 'variable') continue;
        if (effective(scope, 'resolver').length > 0) continue;
        // `set $backend 10.0.0.5:8080;` or an upstream name: nothing to resolve.
        const varName = /^\$\{?(\w+)\}?/.exec(t.host)?.[1];
        const sets = varName ? effectiveSets(scope, varName) : [];
        if (sets.length > 0 && sets.every((v) => /^[\d.:[\]]+$/.test(v) || groups.has(v.replace(/:\d+$/, '').toLowerCase()))) continue;
        // A dotless value is most likely an upstream name defined in a file this tree does not
        // reach: judge it only when the tree starts at the main config.
        if (sets.length > 0 && ctx.nginx.ctx !== 'main' && sets.every((v) => /^[\w-]+$/.test(v))) continue;
        // Not set in this scope: set by whatever includes this file, or by a map whose values
        // are not judged here.
        if (sets.length === 0 && (ctx.nginx.ctx !== 'main' || definedByMap(ctx.nginx, varName ?? ''))) continue;
        const server = serverOf(scope);
        const edit = server ? insertInBlock(ctx, server, 'resolver 127.0.0.53 valid=30s;  # ngx502: your DNS server') : undefined;
        out.push({
          rule: this.id,
          file: sd.file,
          span: sd.d.args[0].span,
          message: `${sd.d.name} with a variable host is resolved per request, and no "resolver" is set here: requests log "no resolver defined to resolve ..." and get 502 (unless the value is an IP or an upstream name).`,
          fixes: edit ? [{ title: 'Add a resolver to the server block', preferred: true, edits: [edit] }] : [],
        });
      }
    }
    return out;
  },
};

function definedByMap(root: import('../site/scope').Scope, name: string): boolean {
  for (const s of allScopes(root)) {
    for (const sd of s.items) if ((sd.d.name === 'map' || sd.d.name === 'geo' || sd.d.name === 'split_clients') && sd.d.args.at(-1)?.value === '$' + name) return true;
  }
  return false;
}

/** Values of `set $name value` in this scope and the enclosing ones. */
function effectiveSets(scope: import('../site/scope').Scope, name: string): string[] {
  const out: string[] = [];
  for (let s: typeof scope | undefined = scope; s; s = s.parent) {
    for (const sd of s.items) if (sd.d.name === 'set' && sd.d.args[0]?.value === '$' + name && sd.d.args[1]) out.push(sd.d.args[1].value);
  }
  return out;
}
