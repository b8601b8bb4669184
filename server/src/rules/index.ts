// The rule registry and the engine that runs rules over a site (the nginx tree as nginx
// assembles it, plus the PHP-FPM pools) with per-rule settings and inline suppressions.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import type { Problem, Severity } from '../nginx/ast';
import type { Finding, Rule, RuleContext } from './rule';
import { buffersInconsistent } from './buffers-inconsistent';
import { fastcgiScriptFilenameMissing } from './fastcgi-script-filename-missing';
import { fastcgiSocketMismatch } from './fastcgi-socket-mismatch';
import { fastcgiSocketPermission } from './fastcgi-socket-permission';
import { fpmListenAllowedClients } from './fpm-listen-allowed-clients';
import { fpmListenBacklogLow } from './fpm-listen-backlog-low';
import { fpmMaxChildrenLow } from './fpm-max-children-low';
import { fpmMaxRequestsUnbounded } from './fpm-max-requests-unbounded';
import { fpmPmConstraints } from './fpm-pm-constraints';
import { fpmTerminateBeforeNginx } from './fpm-terminate-before-nginx';
import { headerBufferSmall } from './header-buffer-small';
import { proxyPassLocalhost } from './proxy-pass-localhost';
import { proxyPassStaticDns } from './proxy-pass-static-dns';
import { proxyPassVariableNoResolver } from './proxy-pass-variable-no-resolver';
import { proxySslNoSni } from './proxy-ssl-no-sni';
import { readTimeoutShort } from './read-timeout-short';
import { upstreamKeepaliveHttp10 } from './upstream-keepalive-http10';
import { workerConnectionsOverRlimit } from './worker-connections-over-rlimit';

export const RULES: readonly Rule[] = [
  fastcgiSocketMismatch,
  fastcgiSocketPermission,
  fpmTerminateBeforeNginx,
  fpmPmConstraints,
  fpmMaxChildrenLow,
  fpmListenBacklogLow,
  fpmListenAllowedClients,
  fpmMaxRequestsUnbounded,
  fastcgiScriptFilenameMissing,
  proxyPassStaticDns,
  proxyPassVariableNoResolver,
  proxyPassLocalhost,
  upstreamKeepaliveHttp10,
  proxySslNoSni,
  headerBufferSmall,
  buffersInconsistent,
  workerConnectionsOverRlimit,
  readTimeoutShort,
];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));

/** Per rule id: `off`, or the severity to report with. */
export type RuleSettings = Readonly<Record<string, Severity | 'off'>>;

let docsDir: string | undefined;

/** server/docs/rules, from wherever this code runs: server/out, client/out (bundles) or the sources. */
function rulesDocsDir(): string {
  if (!docsDir) {
    const candidates = [
      path.join(__dirname, '..', 'docs', 'rules'), // server/out
      path.join(__dirname, '..', '..', 'server', 'docs', 'rules'), // client/out
      path.join(__dirname, '..', '..', 'docs', 'rules'), // server/src/rules
    ];
    docsDir = candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
  }
  return docsDir;
}

/** The markdown docs page of a rule (server/docs/rules/ID.md), as a file URI. */
export function ruleDocsUri(id: string): string {
  return URI.file(path.join(rulesDocsDir(), `${id}.md`)).toString();
}

const docsCache = new Map<string, string | undefined>();

/** A rule's markdown docs page, or undefined when the docs folder is not there. */
export function ruleDocs(id: string): string | undefined {
  if (!RULE_IDS.has(id)) return undefined;
  if (!docsCache.has(id)) {
    try {
      docsCache.set(id, fs.readFileSync(URI.parse(ruleDocsUri(id)).fsPath, 'utf8'));
    } catch {
      docsCache.set(id, undefined);
    }
  }
  return docsCache.get(id);
}

const SUPPRESS = /(?:#|;)\s*ngx502-ignore\s+([\w\s,-]+)/;

/** `# ngx502-ignore RULE-ID` (nginx) or `; ngx502-ignore RULE-ID` (pool files) on the line or the line above. */
function suppressed(text: string | undefined, line: number, id: string): boolean {
  if (!text) return false;
  const lines = text.split('\n', line + 1);
  for (const l of [lines[line], lines[line - 1]]) {
    const m = l !== undefined ? SUPPRESS.exec(l) : null;
    if (m && m[1].split(/[\s,]+/).includes(id)) return true;
  }
  return false;
}

export interface RuleProblem extends Problem {
  file: string;
}

/** Runs every enabled rule; returns problems with their fixes in `data`. Never throws. */
export function runRules(ctx: RuleContext, settings: RuleSettings = {}, log?: (m: string) => void, only?: 'nginx' | 'pool'): RuleProblem[] {
  const out: RuleProblem[] = [];
  for (const rule of RULES) {
    if (only && rule.lands !== only) continue;
    const setting = Object.hasOwn(settings, rule.id) ? settings[rule.id] : undefined;
    if (setting === 'off') continue;
    let findings: Finding[];
    try {
      findings = rule.check(ctx);
    } catch (e) {
      log?.(`rule ${rule.id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      continue;
    }
    for (const f of findings) {
      if (suppressed(ctx.text(f.file), f.span.start.line, rule.id)) continue;
      out.push({
        file: f.file,
        code: rule.id,
        severity: setting ?? rule.severity,
        message: f.message,
        span: f.span,
        related: f.related,
        data: { rule: rule.id, fixes: JSON.parse(JSON.stringify(f.fixes)) as unknown },
        docs: ruleDocsUri(rule.id),
      });
    }
  }
  return out;
}
