// Typed getters for the nginx502.diagnose.* settings (one schema: package.json). Read when used,
// never cached in globals, so a change applies to the next diagnosis or log opened.

import * as vscode from 'vscode';

export interface DiagnoseSettings {
  /** Run the probes and read logs and configs through `sudo -n` (never prompts). */
  sudo: boolean;
  /** The window of log lines looked at, in ms. */
  sinceMs: number;
  /** Bytes read from the end of each log. */
  logBytes: number;
  /** Log viewer: lines kept (a ring buffer: the oldest go first). */
  logViewerMaxLines: number;
  /** Log viewer: lines shown when a log is opened (read from its end). */
  logViewerInitialLines: number;
}

const MINUTE = 60_000;

/** `30m`, `2h`, `90s`, `1d`; a bare number is minutes. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)?$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: MINUTE, h: 60 * MINUTE, d: 24 * 60 * MINUTE }[(m[2] ?? 'm') as 's' | 'm' | 'h' | 'd'];
}

function clampInt(v: unknown, min: number, max: number, dflt: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.floor(v))) : dflt;
}

export function diagnoseSettings(): DiagnoseSettings {
  const c = vscode.workspace.getConfiguration('nginx502.diagnose');
  return {
    sudo: c.get<boolean>('sudo', false) === true,
    sinceMs: parseDuration(String(c.get<string>('since', '30m'))) ?? 30 * MINUTE,
    logBytes: clampInt(c.get<number>('logBytes'), 4096, 256 * 1024 * 1024, 2 * 1024 * 1024),
    logViewerMaxLines: clampInt(c.get<number>('logViewer.maxLines'), 1000, 1_000_000, 100_000),
    logViewerInitialLines: clampInt(c.get<number>('logViewer.initialLines'), 0, 100_000, 1000),
  };
}
