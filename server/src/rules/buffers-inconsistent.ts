// *_busy_buffers_size / *_temp_file_write_size / *_buffers that break nginx's own consistency
// rules: nginx -t fails, so the config cannot be (re)loaded.

import { allScopes } from '../site/scope';
import { bufferErrors, bufferValues, consistentEdits, PREFIXES, setsBuffers } from './buffers';
import type { Finding, Rule } from './rule';

export const buffersInconsistent: Rule = {
  id: 'buffers-inconsistent',
  severity: 'error',
  lands: 'nginx',
  title: 'buffer sizes nginx -t rejects',
  check(ctx) {
    if (!ctx.nginx) return [];
    const out: Finding[] = [];
    for (const scope of allScopes(ctx.nginx)) {
      if (!scope.block) continue;
      for (const p of PREFIXES) {
        if (!setsBuffers(scope, p)) continue;
        const v = bufferValues(scope, p);
        if (!v) continue;
        const errors = bufferErrors(v, p);
        if (errors.length === 0) continue;
        const at = v.from[errors[0].key] ?? v.from.buffer_size ?? v.from.buffers ?? scope.block;
        out.push({
          rule: this.id,
          file: at.file,
          span: at.d.nameSpan,
          message: `nginx -t fails: ${errors.map((e) => e.message).join('; ')} (buffer ${v.bufferSize} B, ${v.num} x ${v.size} B buffers${v.busy !== undefined ? `, busy ${v.busy} B` : ''}). nginx cannot start or reload with this config.`,
          fixes: [{ title: `Make the ${p} buffer sizes consistent`, preferred: true, edits: consistentEdits(ctx, scope, p, v) }],
        });
      }
    }
    return out;
  },
};
