// The engine's Diagnosis as the panel shows it, and as a Markdown report. Pure: no vscode.

import type { Diagnosis } from '../diagnosis/diagnose';
import type { DiagnosisData, LogRef } from './protocol';

/** The logs a diagnosis read (probes `log:PATH`) with their kind. */
export function logsOf(d: Diagnosis): LogRef[] {
  const kinds = new Map<string, LogRef['kind']>();
  for (const c of d.causes) {
    for (const e of c.evidence) {
      if (!e.file) continue;
      // The ranking's source labels (SOURCE_LABEL in ranking.ts).
      if (e.source === 'nginx error log') kinds.set(e.file, 'nginx-error');
      else if (e.source === 'access log') kinds.set(e.file, 'nginx-access');
      else if (e.source === 'PHP-FPM log') kinds.set(e.file, 'php-fpm');
    }
  }
  const out: LogRef[] = [];
  for (const p of d.probes) {
    if (!p.id.startsWith('log:')) continue;
    const path = p.id.slice(4);
    if (!path.startsWith('/') || out.some((l) => l.path === path)) continue;
    out.push({ path, kind: kinds.get(path) ?? guessKind(path) });
  }
  return out;
}

function guessKind(path: string): LogRef['kind'] {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (/fpm/i.test(path)) return 'php-fpm';
  if (/access/i.test(name)) return 'nginx-access';
  if (/error/i.test(name)) return 'nginx-error';
  return 'other';
}

export function toDiagnosisData(d: Diagnosis): DiagnosisData {
  return {
    target: d.target,
    durationMs: d.durationMs,
    causes: d.causes,
    probes: d.probes,
    access: d.access && {
      total: d.access.total,
      s5xx: d.access.s5xx,
      s502: d.access.s502,
      s504: d.access.s504,
      minutes: d.access.minutes.map((m) => ({ minute: m.minute, total: m.total, s5xx: m.s5xx, s502: m.s502, s504: m.s504 })),
      top502Uris: d.access.top502Uris,
      firstSeen: d.access.firstSeen,
      lastSeen: d.access.lastSeen,
    },
    host: d.host,
    notes: d.notes,
    logs: logsOf(d),
  };
}

/** Markdown for an issue or a chat: the causes with evidence and fixes, what was not seen. */
export function reportMarkdown(d: DiagnosisData, when: Date = new Date()): string {
  const out: string[] = [];
  const code = (s: string) => '`' + s.replace(/`/g, "'").replace(/\n/g, ' ') + '`';
  const fence = (lines: string[]) => {
    const body = lines.join('\n');
    const ticks = '`'.repeat(Math.max(3, ...[...body.matchAll(/`+/g)].map((m) => m[0].length + 1)));
    return [ticks, body, ticks];
  };
  out.push(`# 502 diagnosis of ${code(d.target)}`, '');
  out.push(`${when.toISOString()} · nginx ${d.host.nginxVersion ?? '(not found)'} · configuration from ${d.host.configSource} (${d.host.configFiles} files, ${d.host.fpmFiles} PHP-FPM files) · ${d.durationMs} ms`, '');
  if (d.access) out.push(`Access log: ${d.access.total} requests in the window, **${d.access.s502} × 502**, ${d.access.s504} × 504, ${d.access.s5xx} × 5xx.`, '');
  if (d.causes.length === 0) out.push('No cause of a 502 was found.', '');
  d.causes.forEach((c, i) => {
    out.push(`## ${i + 1}. ${c.title}`, '', `${code(c.id)} · confidence **${c.confidence}** · score ${c.score}`, '');
    if (c.evidence.length) {
      out.push('Evidence:', '');
      for (const e of c.evidence) {
        const where = e.file ? ` (${code(e.file + (e.line ? ':' + e.line : ''))})` : '';
        const when = e.lastSeen ? `, last ${e.lastSeen}` : '';
        out.push(`- **${e.source}**${where}: ${e.summary} (×${e.count}${when})`);
        if (e.samples.length) out.push('', ...fence(e.samples).map((l) => '  ' + l));
      }
      out.push('');
    }
    if (c.fixes.length) {
      out.push('Fix:', '');
      for (const f of c.fixes) out.push(`- ${f.what}${f.file ? ` (${code(f.file + (f.line ? ':' + f.line : ''))})` : ''}  \n  verify: ${code(f.verify)}`);
      out.push('');
    }
  });
  const bad = d.probes.filter((p) => p.status !== 'ok');
  if (bad.length) out.push('Not seen:', '', ...bad.map((p) => `- ${code(p.id)}: ${p.status}${p.note ? ` (${p.note.split('\n')[0]})` : ''}`), '');
  if (d.notes.length) out.push('Notes:', '', ...d.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}
