// Output formats of `ngx502 check`: text for people, JSON for scripts, SARIF for code scanning.

import type { Problem } from '../../../server/src/nginx/ast';

export interface Finding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Problem['severity'];
  code: string;
  message: string;
}

export function toFindings(results: Map<string, Problem[]>): Finding[] {
  const out: Finding[] = [];
  for (const [file, problems] of results) {
    for (const p of problems) {
      out.push({
        file,
        line: p.span.start.line + 1,
        column: p.span.start.character + 1,
        endLine: p.span.end.line + 1,
        endColumn: p.span.end.character + 1,
        severity: p.severity,
        code: p.code,
        message: p.message,
      });
    }
  }
  out.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return out;
}

export function formatText(findings: Finding[], filesChecked: number, color: boolean): string {
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sev: Record<Finding['severity'], string> = {
    error: paint('31', 'error'),
    warning: paint('33', 'warning'),
    information: paint('36', 'info'),
    hint: paint('2', 'hint'),
  };
  const lines = findings.map((f) => `${f.file}:${f.line}:${f.column}: ${sev[f.severity]} ${f.message} ${paint('2', `[${f.code}]`)}`);
  const count = (s: Finding['severity']): number => findings.filter((f) => f.severity === s).length;
  lines.push(
    `${filesChecked} file${filesChecked === 1 ? '' : 's'} checked: ${count('error')} error(s), ${count('warning')} warning(s), ${count('information') + count('hint')} note(s)`,
  );
  return lines.join('\n') + '\n';
}

export function formatJson(findings: Finding[]): string {
  return JSON.stringify({ findings }, null, 2) + '\n';
}

export function formatSarif(findings: Finding[], version: string): string {
  const level = (s: Finding['severity']): string => (s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note');
  const rules = [...new Set(findings.map((f) => f.code))].sort().map((id) => ({ id, name: id }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'ngx502', informationUri: 'https://nginx.org/en/docs/', version, rules } },
        results: findings.map((f) => ({
          ruleId: f.code,
          level: level(f.severity),
          message: { text: f.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: 'file://' + f.file.split('/').map(encodeURIComponent).join('/') },
                region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
              },
            },
          ],
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
