// The site check: the rules over an nginx tree (as nginx assembles it) and the PHP-FPM pools
// beside it. Shared by the command line, the language server and the host diagnosis.

import * as fs from 'node:fs';
import type { Problem } from '../nginx/ast';
import type { Tree, NginxProject } from '../nginx/project';
import { runRules, type RuleProblem, type RuleSettings } from '../rules';
import type { HostAccounts } from '../rules/rule';
import type { Pool } from './pools';
import { buildScopes } from './scope';

export interface SiteOptions {
  rules?: RuleSettings;
  nginxVersion?: number[];
  memoryBudgetMB?: number;
  workerMB?: number;
  accounts?: HostAccounts;
  log?: (m: string) => void;
  /** Reads a file's current text (open editor buffers first). */
  text?: (file: string) => string | undefined;
  /** Only the findings for this nginx file are wanted: the view leaves other sites out. */
  focus?: string;
  /** Only rules whose findings land in nginx files, or in pool files. */
  only?: 'nginx' | 'pool';
}

export function siteProblems(project: NginxProject | undefined, tree: Tree | undefined, pools: readonly Pool[], options: SiteOptions = {}): RuleProblem[] {
  const nginx = tree && project ? buildScopes(tree, project, options.focus) : undefined;
  const text =
    options.text ??
    ((file: string): string | undefined => {
      const r = project?.fs.read(file);
      if (r?.ok) return r.text;
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    });
  return runRules(
    {
      nginx,
      pools: [...pools],
      nginxVersion: options.nginxVersion ?? project?.knowledge.version,
      memoryBudgetMB: options.memoryBudgetMB ?? 2048,
      workerMB: options.workerMB ?? 64,
      accounts: options.accounts,
      text,
    },
    options.rules,
    options.log,
    options.only,
  );
}

/**
 * A file's own PHP-FPM problems merged with the site rules that land in it. Where a rule and
 * the php-fpm checker report the same thing (fpm-pm-constraints), the rule's finding stays: it
 * carries the docs and the quick fixes.
 */
export function mergeRuleProblems(own: readonly Problem[], rules: readonly Problem[]): Problem[] {
  const ruleCodes = new Set(rules.map((r) => r.code));
  return [...own.filter((p) => p.docs !== undefined || !ruleCodes.has(p.code)), ...rules];
}
