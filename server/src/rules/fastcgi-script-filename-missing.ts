// A fastcgi_pass location without SCRIPT_FILENAME: PHP-FPM does not know which script to run,
// logs "Primary script unknown" and answers 404 (or a blank 200 page).

import { allScopes, type Scope } from '../site/scope';
import { insertAfter, insertInBlock } from './edits';
import type { Finding, Rule } from './rule';

/** Stock include files known to set SCRIPT_FILENAME (Debian/Ubuntu/RHEL/Alpine layouts). */
const SETS_SCRIPT_FILENAME = /(^|\/)(fastcgi\.conf|fastcgi-php\.conf|php\.conf|php_fastcgi\.conf)$/;
/** Stock include files known not to (nginx's own fastcgi_params). */
const LACKS_SCRIPT_FILENAME = /(^|\/)fastcgi_params$/;

/** The fastcgi_param list nginx applies here: the innermost level that has any. */
function paramLevel(scope: Scope): { names: string[]; unresolved: string[]; scope: Scope } | undefined {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const names = s.items.filter((x) => x.d.name === 'fastcgi_param').map((x) => x.d.args[0]?.value ?? '');
    const unresolved = (s.unresolved ?? []).filter((u) => /fastcgi|php/.test(u));
    if (names.length > 0 || unresolved.length > 0) return { names, unresolved, scope: s };
    if (s.block?.d.name === 'http') break;
  }
  return undefined;
}

export const fastcgiScriptFilenameMissing: Rule = {
  id: 'fastcgi-script-filename-missing',
  severity: 'warning',
  lands: 'nginx',
  title: 'fastcgi_pass without SCRIPT_FILENAME',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    for (const scope of allScopes(ctx.nginx)) {
      for (const sd of scope.items) {
        if (sd.d.name !== 'fastcgi_pass') continue;
        // PHP-FPM answers its ping/status pages (ping.path, pm.status_path) without a script.
        const loc = scope.block?.d.name === 'location' ? scope.block.d.args.at(-1)?.value ?? '' : '';
        if (/(ping|status)\/?\$?$/.test(loc)) continue;
        const level = paramLevel(scope);
        if (level?.names.includes('SCRIPT_FILENAME')) continue;
        if (level?.unresolved.some((u) => SETS_SCRIPT_FILENAME.test(u) || !LACKS_SCRIPT_FILENAME.test(u))) continue;
        // Add it at the level whose list nginx uses: adding one in an inner block would drop
        // the inherited list (fastcgi_param is inherited only by blocks that set none).
        const line = 'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;';
        const edit = level && level.scope !== scope ? insertInBlock(ctx, level.scope, line) : insertAfter(ctx, sd, line);
        out.push({
          rule: this.id,
          file: sd.file,
          span: sd.d.nameSpan,
          message:
            'no "fastcgi_param SCRIPT_FILENAME" reaches this fastcgi_pass' +
            (level?.unresolved.length ? ` (${level.unresolved.join(', ')} does not set it)` : '') +
            ': PHP-FPM cannot find the script and nginx logs "FastCGI sent in stderr: \\"Primary script unknown\\"" (404, or a blank page).',
          fixes: [
            {
              title: 'Pass SCRIPT_FILENAME ($document_root$fastcgi_script_name)',
              preferred: true,
              edits: edit ? [edit] : [],
            },
          ],
        });
      }
    }
    return out;
  },
};
