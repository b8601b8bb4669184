// The rule interface: one rule per file, a stable id, a default severity, docs, one check.
// Findings carry their quick fixes as plain edits (file, range, text), so the language server,
// the command line and the diagnosis all use the same fixes; code actions key on the rule id
// and the finding's data, never on the message.

import type { Severity, Span } from '../nginx/ast';
import type { Scope } from '../site/scope';
import type { Pool } from '../site/pools';

export interface FileEdit {
  file: string;
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: FileEdit[];
  preferred?: boolean;
}

export interface Related {
  file: string;
  span: Span;
  message: string;
}

export interface Finding {
  rule: string;
  file: string;
  span: Span;
  message: string;
  related?: Related[];
  fixes: Fix[];
}

export interface HostAccounts {
  /** user -> primary group */
  users: Map<string, { uid: number; gid: number; group: string }>;
  /** group -> member user names (supplementary) */
  groups: Map<string, { gid: number; members: string[] }>;
}

export interface RuleContext {
  /** The nginx configuration as nginx assembles it; undefined when no nginx files are known. */
  nginx?: Scope;
  /** Known PHP-FPM pools. */
  pools: Pool[];
  /** nginx version in use, when known. */
  nginxVersion?: number[];
  /** Memory budget for PHP workers, for sizing suggestions. */
  memoryBudgetMB: number;
  workerMB: number;
  /** The host's users and groups, when known (remote diagnosis). */
  accounts?: HostAccounts;
  /** Text of a file, for edits that need to look at indentation. */
  text(file: string): string | undefined;
}

export interface Rule {
  id: string;
  severity: Severity;
  /** Where its findings go: nginx files, PHP-FPM pool files, or either. */
  lands: 'nginx' | 'pool';
  /** One line: what it finds. */
  title: string;
  check(ctx: RuleContext): Finding[];
}
