// One diagnosis of one host: collect (read-only probes and logs), extract the signals, run the
// 502 rules on the host's own configuration, rank the causes. A library: no vscode, no I/O
// of its own beyond the transport it is given.

import type { Transport } from '../remote/transport';
import { MemoryFileSource } from '../../../server/src/nginx/files';
import { loadPools } from '../../../server/src/phpfpm/check';
import { fromFpmPools } from '../../../server/src/site/pools';
import { siteProblems } from '../../../server/src/site/site';
import { collect, type Collected } from './collect';
import { rank, type Cause, type StaticFinding } from './ranking';
import { extractSignals } from './signals';
import type { AccessSummary } from './logs/access-log';

export interface DiagnoseOptions {
  /** The window to read logs in, in ms (default 30 minutes). */
  sinceMs?: number;
  sudo?: boolean;
  /** Bytes read from the end of each log (default 2 MB). */
  logBytes?: number;
  signal?: AbortSignal;
  onStage?: (stage: string) => void;
}

export interface Diagnosis {
  target: string;
  durationMs: number;
  causes: Cause[];
  probes: { id: string; status: string; durationMs: number; note?: string }[];
  findings: StaticFinding[];
  access?: AccessSummary;
  /** The nginx version and where the configuration came from. */
  host: { nginxVersion?: string; configSource: string; configFiles: number; fpmFiles: number };
  /** What the diagnosis could not see or read. */
  notes: string[];
}

export async function diagnose(t: Transport, opts: DiagnoseOptions = {}): Promise<Diagnosis> {
  const t0 = Date.now();
  const c: Collected = await collect(t, { sudo: opts.sudo ?? false, logBytes: opts.logBytes ?? 2 * 1024 * 1024, signal: opts.signal, onStage: opts.onStage });
  opts.onStage?.('ranking causes');
  const { signals, access, notes } = extractSignals(c, opts.sinceMs ?? 30 * 60_000);
  const findings = staticFindings(c, notes);
  const causes = rank(c, signals, findings);
  if (c.configSource === 'none') notes.unshift('the nginx configuration could not be read (nginx -T needs root: try --sudo; nginx.conf not readable)');
  if (!c.build?.version) notes.unshift('nginx was not found on this host (nginx -V failed)');
  return {
    target: t.target,
    durationMs: Date.now() - t0,
    causes,
    probes: c.probes.map((p) => ({ id: p.id, status: p.status, durationMs: p.durationMs, ...(p.note ? { note: p.note } : {}) })),
    findings,
    access,
    host: { nginxVersion: c.build?.version, configSource: c.configSource, configFiles: c.config?.files.size ?? 0, fpmFiles: c.fpmFiles.size },
    notes,
  };
}

/** The 502 rules on the host's real configuration (nginx -T split into files, plus pool files). */
function staticFindings(c: Collected, notes: string[]): StaticFinding[] {
  try {
    const pools = c.fpmFiles.size > 0 ? fromFpmPools(loadPools([...c.fpmFiles.keys()], new MemoryFileSource(c.fpmFiles))) : [];
    const problems = siteProblems(c.project, c.tree, pools, {
      text: (file) => c.config?.files.get(file) ?? c.fpmFiles.get(file),
      // The host's own users and groups: supplementary groups count for socket permissions.
      accounts: c.accounts,
    });
    const out: StaticFinding[] = problems.map((p) => ({ rule: p.code, file: p.file, line: p.span.start.line + 1, message: p.message, severity: p.severity }));
    // Errors nginx -t itself would report in the host's configuration.
    for (const [file, list] of c.tree?.problems ?? []) {
      for (const p of list) if (p.severity === 'error') out.push({ rule: p.code, file, line: p.span.start.line + 1, message: p.message, severity: p.severity });
    }
    return out;
  } catch (e) {
    notes.push(`the configuration rules could not run: ${e instanceof Error ? e.message : String(e)}`);
    return [];
  }
}
