// "Nginx 502: Diagnose 502 on host" and "Open remote log viewer": the target pick, the run
// (connect, the engine, the panel) and what the panel asks for (files, logs).

import * as vscode from 'vscode';
import { diagnose } from '../diagnosis/diagnose';
import { isRemoteError } from '../remote/errors';
import { toDiagnosisData } from '../panels/diagnosisData';
import type { DiagnosisPanels, DiagnosisRunner } from '../panels/diagnosisPanel';
import type { LogViewers } from '../panels/logViewerPanel';
import type { DiagnosisPanelState, LogRef } from '../panels/protocol';
import { isHostPath } from '../panels/protocol';
import { CancelledError, LOCAL_TARGET, type Connections } from './connections';
import { diagnoseSettings } from './settings';
import { pickTarget, validateTarget, type RecentTargets } from './targets';

/** Connects (again, once, when the connection drops mid-run) and runs the engine. */
export function diagnosisRunner(connections: Connections, recent: RecentTargets, log: vscode.LogOutputChannel): DiagnosisRunner {
  return async (target, onStage, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort(new CancelledError()));
    try {
      for (let attempt = 0; ; attempt++) {
        onStage(target === LOCAL_TARGET ? 'starting on this machine' : attempt > 0 ? `connection lost; reconnecting to ${target}` : `connecting to ${target}`);
        const t = await connections.get(target, token);
        await recent.add(target);
        const s = diagnoseSettings();
        try {
          const d = await diagnose(t, { sinceMs: s.sinceMs, sudo: s.sudo, logBytes: s.logBytes, signal: ac.signal, onStage });
          log.info(`diagnosis of ${target}: ${d.causes.length} causes${d.causes[0] ? `, first ${d.causes[0].id} (${d.causes[0].confidence})` : ''}, ${d.durationMs} ms`);
          return toDiagnosisData(d);
        } catch (e) {
          if (ac.signal.aborted || token.isCancellationRequested) throw new CancelledError();
          if (attempt === 0 && isRemoteError(e, 'disconnected')) {
            log.warn(`diagnosis of ${target}: ${e.message}; reconnecting once`);
            await connections.close(target);
            continue;
          }
          throw e;
        }
      }
    } finally {
      sub.dispose();
    }
  };
}

/** The command: a target given as argument (a string) or picked; resolves with the panel's final state. */
export async function diagnoseCommand(panels: DiagnosisPanels, recent: RecentTargets, arg: unknown): Promise<DiagnosisPanelState | undefined> {
  const given = typeof arg === 'string' && validateTarget(arg) === undefined ? arg.trim() : undefined;
  const target = given ?? (await pickTarget(recent));
  if (!target) return undefined;
  return panels.diagnose(target);
}

/** Opens the log viewer: for a target given or picked, with the logs its last diagnosis found. */
export async function openLogViewerCommand(panels: DiagnosisPanels, viewers: LogViewers, recent: RecentTargets, targetArg: unknown, pathArg: unknown): Promise<void> {
  const given = typeof targetArg === 'string' && validateTarget(targetArg) === undefined ? targetArg.trim() : undefined;
  const target = given ?? (await pickTarget(recent));
  if (!target) return;
  const logs: LogRef[] = panels.state(target)?.diagnosis?.logs ?? [];
  viewers.open(target, logs, isHostPath(pathArg) ? pathArg : undefined);
}
