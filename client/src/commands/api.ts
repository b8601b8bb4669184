// What activate() returns: events and state the end-to-end suite (and other extensions) can
// observe. Types only here, so the suite imports nothing that runs.

import type { Event } from 'vscode';
import type { RenderedReport } from '../panels/diagnosisPanel';
import type { ShownReport } from '../panels/logViewerPanel';
import type { DiagnosisPanelState } from '../panels/protocol';

export interface Nginx502Api {
  /** A diagnosis panel's webview rendered a state. */
  readonly onDidRenderDiagnosis: Event<RenderedReport>;
  /** A log viewer's webview applied lines to its list. */
  readonly onDidShowLogLines: Event<ShownReport>;
  /** The state of a target's diagnosis panel, if one is open. */
  diagnosisState(target: string): DiagnosisPanelState | undefined;
  /** The path a target's log viewer follows. */
  logViewerPath(target: string): string | undefined;
  /** The language server's state. */
  serverState(): 'starting' | 'running' | 'stopped';
}
