// `ngx502 check`: lints files or folders with the language server's engine.

import * as path from 'node:path';
import type { ParsedArgs } from '../cli';
import { checkFiles } from '../../../server/src/nginx/check';
import { knowledge } from '../../../server/src/nginx/directives';
import { NodeFileSource } from '../../../server/src/nginx/files';
import { NginxProject } from '../../../server/src/nginx/project';
import { discover } from '../../../server/src/discover';
import { loadFpm } from '../../../server/src/phpfpm/check';
import { fromFpmPools } from '../../../server/src/site/pools';
import { mergeRuleProblems } from '../../../server/src/site/site';
import { formatJson, formatSarif, formatText, toFindings } from './output';

declare const NGX502_VERSION: string | undefined;

export function runCheck(args: ParsedArgs, samples: string): number {
  const format = args.flags.get('format')?.at(-1) ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'sarif') {
    process.stderr.write(`ngx502 check: --format must be text, json or sarif (got "${format}")\n`);
    return 2;
  }
  const version = args.flags.get('nginx-version')?.at(-1);
  if (version !== undefined && !/^\d+\.\d+(\.\d+)?$/.test(version)) {
    process.stderr.write(`ngx502 check: --nginx-version must look like 1.22.1 (got "${version}")\n`);
    return 2;
  }
  const paths = args.positional.length > 0 ? args.positional : [samples];
  if (args.positional.length === 0 && format === 'text') process.stderr.write(`ngx502 check: no PATH given, checking the bundled samples in ${samples}\n`);
  const found = discover(paths);
  // --fpm PATH: PHP-FPM files (or folders of them) outside the given paths; a file named is taken as PHP-FPM.
  for (const p of args.flags.get('fpm') ?? []) {
    const extra = discover([p]);
    found.errors.push(...extra.errors);
    const named = extra.files.length === 1 && path.resolve(p) === extra.files[0].file;
    for (const f of extra.files) if (named || f.kind === 'php-fpm') found.files.push({ file: f.file, kind: 'php-fpm' });
  }
  for (const e of found.errors) process.stderr.write(`ngx502 check: ${e}\n`);
  if (found.errors.length > 0 && found.files.length === 0) return 2;
  const nginxFiles = found.files.filter((f) => f.kind === 'nginx').map((f) => f.file);
  const project = new NginxProject(new NodeFileSource(), knowledge({ version, extraDirectives: args.flags.get('extra-directive') ?? [] }));
  const configRoot = args.flags.get('config-root')?.at(-1);
  const fpmFiles = [...new Set(found.files.filter((f) => f.kind === 'php-fpm').map((f) => f.file))];
  const fpm = loadFpm(fpmFiles, project.fs);
  // The nginx trees and the pools together: the cross-file rules link fastcgi_pass to pools.
  const results = checkFiles(project, nginxFiles, { configRoot: configRoot ? path.resolve(configRoot) : undefined }, { pools: fromFpmPools(fpm.pools), options: {} });
  for (const [file, problems] of fpm.problems) results.set(file, mergeRuleProblems(problems, results.get(file) ?? []));
  const findings = toFindings(results);
  const out =
    format === 'json'
      ? formatJson(findings)
      : format === 'sarif'
        ? formatSarif(findings, typeof NGX502_VERSION === 'string' ? NGX502_VERSION : '0.0.0')
        : formatText(findings, results.size, !args.flags.has('no-color') && process.stdout.isTTY === true && !process.env.NO_COLOR);
  process.stdout.write(out);
  if (found.errors.length > 0) return 2;
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}
