// The messages between the extension and its two webviews, typed and validated on both sides.
// This file is compiled into the extension and into the webview bundles: it imports nothing
// (no vscode, no node, no DOM), and the data types here mirror the engine's (the extension
// maps a Diagnosis onto DiagnosisData, so the compiler checks they still agree).
//
// Every message starts with the webview's `ready` (the handshake: nothing is posted to a
// webview before its script listens). Anything that fails validation is dropped and logged.

// ---------------------------------------------------------------------------------------------
// Data shown by the diagnosis panel.

export interface EvidenceData {
  source: string;
  summary: string;
  count: number;
  samples: string[];
  file?: string;
  line?: number;
  firstSeen?: string;
  lastSeen?: string;
}

export interface FixData {
  what: string;
  file?: string;
  line?: number;
  verify: string;
}

export interface CauseData {
  id: string;
  title: string;
  confidence: 'high' | 'medium' | 'low';
  score: number;
  evidence: EvidenceData[];
  fixes: FixData[];
}

export interface MinuteData {
  /** ISO 8601 UTC minute. */
  minute: string;
  total: number;
  s5xx: number;
  s502: number;
  s504: number;
}

export interface AccessData {
  total: number;
  s5xx: number;
  s502: number;
  s504: number;
  minutes: MinuteData[];
  top502Uris: { uri: string; count: number }[];
  firstSeen?: string;
  lastSeen?: string;
}

export interface LogRef {
  path: string;
  kind: 'nginx-error' | 'nginx-access' | 'php-fpm' | 'other';
}

export interface DiagnosisData {
  target: string;
  durationMs: number;
  causes: CauseData[];
  probes: { id: string; status: string; durationMs: number; note?: string }[];
  access?: AccessData;
  host: { nginxVersion?: string; configSource: string; configFiles: number; fpmFiles: number };
  notes: string[];
  /** Logs the diagnosis read (for "Open log viewer"). */
  logs: LogRef[];
}

export type RunStatus = 'running' | 'done' | 'error' | 'cancelled';

export interface DiagnosisPanelState {
  target: string;
  status: RunStatus;
  /** The stage running now (status running). */
  stage?: string;
  /** ms since the epoch. */
  startedAt: number;
  finishedAt?: number;
  diagnosis?: DiagnosisData;
  error?: string;
  /** Shown from the state saved before a window reload, not from a new run. */
  restored?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Diagnosis panel messages.

export type DiagnosisToWebview = { type: 'state'; state: DiagnosisPanelState };

export type DiagnosisFromWebview =
  | { type: 'ready' }
  | { type: 'rerun' }
  | { type: 'cancel' }
  | { type: 'copyReport' }
  | { type: 'openLogViewer'; path?: string }
  | { type: 'openFile'; file: string; line?: number }
  /** Sent after each render: what the person now sees (status, first cause id, number of cards). */
  | { type: 'rendered'; status: RunStatus; firstCause?: string; causes: number };

// ---------------------------------------------------------------------------------------------
// Log viewer data and messages.

export type LogLevel = 'emerg' | 'alert' | 'crit' | 'error' | 'warn' | 'notice' | 'info' | 'debug';

export interface LogLine {
  /** Increases by one per line for the life of the panel. */
  seq: number;
  text: string;
  /** `notice`: a message of the viewer itself (truncated, rotated, reconnected), not a log line. */
  kind?: 'notice';
  level?: LogLevel;
  /** HTTP status of an access log line. */
  status?: number;
  /** The 502/504 signature id (nginx error log) and the cause it points to. */
  sig?: string;
  cause?: string;
}

export type TailState = 'idle' | 'connecting' | 'live' | 'paused' | 'reconnecting' | 'error' | 'stopped';

export type LogToWebview =
  | { type: 'init'; target: string; logs: LogRef[]; path?: string; maxLines: number }
  | { type: 'lines'; lines: LogLine[]; reset?: boolean; dropped?: number }
  | { type: 'status'; state: TailState; path?: string; message?: string };

export type LogFromWebview =
  | { type: 'ready' }
  | { type: 'open'; path: string }
  | { type: 'pickPath' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reconnect' }
  /** Flow control and "what is shown": the last line seq applied to the list. */
  | { type: 'ack'; lastSeq: number; total: number; shown: number };

// ---------------------------------------------------------------------------------------------
// Validation: never trust what crosses the boundary (a webview is a web page showing host data).

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown, max = 1_000_000): v is string => typeof v === 'string' && v.length <= max;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optStr = (v: unknown, max?: number) => v === undefined || isStr(v, max);
const optNum = (v: unknown) => v === undefined || isNum(v);
const isArr = <T>(v: unknown, item: (x: unknown) => x is T, max = 1_000_000): v is T[] => Array.isArray(v) && v.length <= max && v.every(item);

const RUN_STATUS: readonly string[] = ['running', 'done', 'error', 'cancelled'];
const TAIL_STATES: readonly string[] = ['idle', 'connecting', 'live', 'paused', 'reconnecting', 'error', 'stopped'];
const LEVELS: readonly string[] = ['emerg', 'alert', 'crit', 'error', 'warn', 'notice', 'info', 'debug'];
const LOG_KINDS: readonly string[] = ['nginx-error', 'nginx-access', 'php-fpm', 'other'];
const CONFIDENCE: readonly string[] = ['high', 'medium', 'low'];

/** A host path as the extension accepts it from a webview: absolute, one line, bounded. */
export function isHostPath(v: unknown): v is string {
  return isStr(v, 4096) && v.startsWith('/') && !/[\0\n\r]/.test(v);
}

export function parseDiagnosisFromWebview(m: unknown): DiagnosisFromWebview | undefined {
  if (!isObj(m) || !isStr(m.type, 32)) return undefined;
  switch (m.type) {
    case 'ready':
    case 'rerun':
    case 'cancel':
    case 'copyReport':
      return { type: m.type };
    case 'openLogViewer':
      return m.path === undefined ? { type: 'openLogViewer' } : isHostPath(m.path) ? { type: 'openLogViewer', path: m.path } : undefined;
    case 'openFile':
      if (!isHostPath(m.file) || !(m.line === undefined || (isNum(m.line) && m.line >= 1))) return undefined;
      return { type: 'openFile', file: m.file, ...(m.line !== undefined ? { line: m.line as number } : {}) };
    case 'rendered':
      if (!isStr(m.status) || !RUN_STATUS.includes(m.status) || !optStr(m.firstCause, 64) || !isNum(m.causes)) return undefined;
      return { type: 'rendered', status: m.status as RunStatus, firstCause: m.firstCause as string | undefined, causes: m.causes };
    default:
      return undefined;
  }
}

const isEvidence = (v: unknown): v is EvidenceData =>
  isObj(v) && isStr(v.source) && isStr(v.summary) && isNum(v.count) && isArr(v.samples, (s): s is string => isStr(s)) && optStr(v.file) && optNum(v.line) && optStr(v.firstSeen) && optStr(v.lastSeen);
const isFix = (v: unknown): v is FixData => isObj(v) && isStr(v.what) && isStr(v.verify) && optStr(v.file) && optNum(v.line);
const isCause = (v: unknown): v is CauseData =>
  isObj(v) && isStr(v.id, 64) && isStr(v.title) && isStr(v.confidence) && CONFIDENCE.includes(v.confidence) && isNum(v.score) && isArr(v.evidence, isEvidence) && isArr(v.fixes, isFix);
const isMinute = (v: unknown): v is MinuteData => isObj(v) && isStr(v.minute, 64) && isNum(v.total) && isNum(v.s5xx) && isNum(v.s502) && isNum(v.s504);
const isAccess = (v: unknown): v is AccessData =>
  isObj(v) &&
  isNum(v.total) &&
  isNum(v.s5xx) &&
  isNum(v.s502) &&
  isNum(v.s504) &&
  isArr(v.minutes, isMinute) &&
  isArr(v.top502Uris, (u): u is { uri: string; count: number } => isObj(u) && isStr(u.uri) && isNum(u.count));
const isLogRef = (v: unknown): v is LogRef => isObj(v) && isHostPath(v.path) && isStr(v.kind) && LOG_KINDS.includes(v.kind);
const isProbe = (v: unknown): v is DiagnosisData['probes'][number] => isObj(v) && isStr(v.id) && isStr(v.status) && isNum(v.durationMs) && optStr(v.note);

export function isDiagnosisData(v: unknown): v is DiagnosisData {
  return (
    isObj(v) &&
    isStr(v.target) &&
    isNum(v.durationMs) &&
    isArr(v.causes, isCause) &&
    isArr(v.probes, isProbe) &&
    (v.access === undefined || isAccess(v.access)) &&
    isObj(v.host) &&
    isStr(v.host.configSource) &&
    isNum(v.host.configFiles) &&
    isNum(v.host.fpmFiles) &&
    optStr(v.host.nginxVersion) &&
    isArr(v.notes, (n): n is string => isStr(n)) &&
    isArr(v.logs, isLogRef)
  );
}

export function isDiagnosisPanelState(v: unknown): v is DiagnosisPanelState {
  return (
    isObj(v) &&
    isStr(v.target, 1024) &&
    isStr(v.status) &&
    RUN_STATUS.includes(v.status) &&
    optStr(v.stage) &&
    isNum(v.startedAt) &&
    optNum(v.finishedAt) &&
    (v.diagnosis === undefined || isDiagnosisData(v.diagnosis)) &&
    optStr(v.error) &&
    (v.restored === undefined || typeof v.restored === 'boolean')
  );
}

export function parseDiagnosisToWebview(m: unknown): DiagnosisToWebview | undefined {
  if (!isObj(m) || m.type !== 'state' || !isDiagnosisPanelState(m.state)) return undefined;
  return { type: 'state', state: m.state };
}

export function parseLogFromWebview(m: unknown): LogFromWebview | undefined {
  if (!isObj(m) || !isStr(m.type, 32)) return undefined;
  switch (m.type) {
    case 'ready':
    case 'pickPath':
    case 'pause':
    case 'resume':
    case 'reconnect':
      return { type: m.type };
    case 'open':
      return isHostPath(m.path) ? { type: 'open', path: m.path } : undefined;
    case 'ack':
      return isNum(m.lastSeq) && isNum(m.total) && isNum(m.shown) ? { type: 'ack', lastSeq: m.lastSeq, total: m.total, shown: m.shown } : undefined;
    default:
      return undefined;
  }
}

const isLine = (v: unknown): v is LogLine =>
  isObj(v) &&
  isNum(v.seq) &&
  isStr(v.text) &&
  (v.kind === undefined || v.kind === 'notice') &&
  (v.level === undefined || (isStr(v.level) && LEVELS.includes(v.level))) &&
  optNum(v.status) &&
  optStr(v.sig, 64) &&
  optStr(v.cause, 1000);

export function parseLogToWebview(m: unknown): LogToWebview | undefined {
  if (!isObj(m) || !isStr(m.type, 32)) return undefined;
  switch (m.type) {
    case 'init':
      if (!isStr(m.target, 1024) || !isArr(m.logs, isLogRef) || !(m.path === undefined || isHostPath(m.path)) || !isNum(m.maxLines)) return undefined;
      return { type: 'init', target: m.target, logs: m.logs, path: m.path as string | undefined, maxLines: m.maxLines };
    case 'lines':
      if (!isArr(m.lines, isLine, 200_000) || !(m.reset === undefined || typeof m.reset === 'boolean') || !optNum(m.dropped)) return undefined;
      return { type: 'lines', lines: m.lines, ...(m.reset ? { reset: true } : {}), ...(m.dropped ? { dropped: m.dropped as number } : {}) };
    case 'status':
      if (!isStr(m.state) || !TAIL_STATES.includes(m.state) || !(m.path === undefined || isHostPath(m.path)) || !optStr(m.message, 4096)) return undefined;
      return { type: 'status', state: m.state as TailState, path: m.path as string | undefined, message: m.message as string | undefined };
    default:
      return undefined;
  }
}

/** What the log viewer panel saves for a window reload. */
export interface LogViewerSavedState {
  target: string;
  path?: string;
  logs: LogRef[];
}

export function isLogViewerSavedState(v: unknown): v is LogViewerSavedState {
  return isObj(v) && isStr(v.target, 1024) && (v.path === undefined || isHostPath(v.path)) && isArr(v.logs, isLogRef, 1000);
}
