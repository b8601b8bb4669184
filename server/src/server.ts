// The language server entry: the only file that touches the LSP connection. Everything else
// receives what it needs (documents, settings, the service) and returns plain results.

import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Diagnostic,
  type InitializeResult,
  type TextEdit,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Problem } from './nginx/ast';
import { NginxService, uriToPath, type DocumentModel } from './service';
import { SettingsCache, type Settings } from './settings';
import { hover } from './features/hover';
import { complete } from './features/completion';
import { documentSymbols } from './features/symbols';
import { definition } from './features/definition';
import { foldingRanges } from './features/folding';
import { formatDocument } from './features/format';
import { ruleDocs } from './rules';
import { isFpmMain, loadPools } from './phpfpm/check';
import { fpmCompletion, fpmHover } from './phpfpm/features';
import { parseIni } from './phpfpm/ini';
import { fromFpmPools } from './site/pools';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const service = new NginxService();
service.log = (m) => log(m);
service.poolLoader = (files, fs) => fromFpmPools(loadPools(files, fs));
let canPullConfiguration = false;
let supportsWorkspaceFolders = false;
const settings = new SettingsCache(async (uri) => {
  if (!canPullConfiguration) return {};
  const [value] = await connection.workspace.getConfiguration([{ scopeUri: uri, section: 'nginx502' }]);
  return value;
});

const SEVERITY: Record<Problem['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

function range(span: Problem['span']) {
  return { start: { line: span.start.line, character: span.start.character }, end: { line: span.end.line, character: span.end.character } };
}

function uriOf(file: string): string {
  return service.uriFor(file);
}

export function toDiagnostic(p: Problem): Diagnostic {
  const d: Diagnostic = {
    range: range(p.span),
    severity: SEVERITY[p.severity],
    code: p.code,
    source: 'nginx502',
    message: p.message,
    data: p.data,
  };
  if (p.docs) d.codeDescription = { href: p.docs };
  if (p.related?.length) d.relatedInformation = p.related.map((r) => ({ location: { uri: uriOf(r.file), range: range(r.span) }, message: r.message }));
  return d;
}

interface FixData {
  title: string;
  preferred?: boolean;
  edits: { file: string; span: Problem['span']; newText: string }[];
}

/** Quick fixes come with the diagnostic (data.fixes): keyed on the rule id, never on the message. */
function codeActionsFor(diagnostics: Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of diagnostics) {
    const data = d.data as { rule?: string; fixes?: FixData[] } | undefined;
    if (!data?.rule || !Array.isArray(data.fixes)) continue;
    for (const fix of data.fixes) {
      const changes: Record<string, TextEdit[]> = {};
      for (const e of fix.edits) (changes[uriOf(e.file)] ??= []).push({ range: range(e.span), newText: e.newText });
      out.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: fix.preferred === true, edit: { changes } });
    }
  }
  return out;
}

function log(message: string): void {
  connection.console.log(`[${new Date().toISOString()}] ${message}`);
}

/** Runs a handler; on failure logs it and returns the empty result so nothing stale lingers. */
async function guard<T>(what: string, empty: T, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    log(`${what} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return empty;
  }
}

async function modelFor(uri: string): Promise<DocumentModel | undefined> {
  // PHP-FPM documents have their own hover and completion; nginx's features never apply to them.
  if (documents.get(uri)?.languageId === 'php-fpm') return undefined;
  const s: Settings = await settings.get(uri);
  return service.model(uri, s);
}

const pending = new Map<string, ReturnType<typeof setTimeout>>();

async function validate(uri: string): Promise<void> {
  const diagnostics = await guard('diagnostics', [] as Diagnostic[], async () => {
    const s = await settings.get(uri);
    return service.problems(uri, s, documents.get(uri)?.languageId).map(toDiagnostic);
  });
  const doc = documents.get(uri);
  await connection.sendDiagnostics({ uri, version: doc?.version, diagnostics });
}

function schedule(uri: string, delay: number): void {
  const t = pending.get(uri);
  if (t) clearTimeout(t);
  pending.set(
    uri,
    setTimeout(() => {
      pending.delete(uri);
      void validate(uri);
    }, delay),
  );
}

/** An edit can change the context or the includes of other open files: re-check them too. */
function revalidateOthers(except: string): void {
  for (const d of documents.all()) if (d.uri !== except) schedule(d.uri, 150);
}

connection.onInitialize((params): InitializeResult => {
  canPullConfiguration = params.capabilities.workspace?.configuration === true;
  supportsWorkspaceFolders = params.capabilities.workspace?.workspaceFolders === true;
  const roots = (params.workspaceFolders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p);
  if (roots.length === 0 && params.rootUri) {
    const p = uriToPath(params.rootUri);
    if (p) roots.push(p);
  }
  service.setWorkspaceRoots(roots);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      completionProvider: { triggerCharacters: ['$', '/', '@', ' '] },
      documentSymbolProvider: true,
      definitionProvider: true,
      foldingRangeProvider: true,
      documentFormattingProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      workspace: { workspaceFolders: { supported: true, changeNotifications: supportsWorkspaceFolders } },
    },
    serverInfo: { name: 'nginx-502-doctor' },
  };
});

connection.onDidChangeConfiguration(() => {
  settings.clear();
  void rescanPools();
});

/** Looks for pool files in the workspace and the poolPaths setting, then re-checks open files. */
async function rescanPools(): Promise<void> {
  await guard('pool scan', undefined, async () => {
    const uri = documents.all()[0]?.uri ?? '';
    const s = await settings.get(uri);
    service.scanPools(s.phpfpm.poolPaths);
  });
  for (const d of documents.all()) schedule(d.uri, 0);
}

connection.onInitialized(() => {
  void rescanPools();
  // Only a client that declared workspace folder support may be asked for folder events:
  // the library throws on the getter otherwise.
  if (!supportsWorkspaceFolders) return;
  connection.workspace.onDidChangeWorkspaceFolders(() => {
    void connection.workspace.getWorkspaceFolders().then((folders) => {
      service.setWorkspaceRoots((folders ?? []).map((f) => uriToPath(f.uri)).filter((p): p is string => !!p));
      for (const d of documents.all()) schedule(d.uri, 0);
    });
  });
});

documents.onDidOpen((e) => {
  service.open(e.document.uri, e.document.getText(), e.document.version);
  if (e.document.languageId === 'php-fpm') service.addPoolFile(service.fileFor(e.document.uri));
  schedule(e.document.uri, 0);
  revalidateOthers(e.document.uri);
});

documents.onDidChangeContent((e) => {
  service.open(e.document.uri, e.document.getText(), e.document.version);
  schedule(e.document.uri, 30);
  revalidateOthers(e.document.uri);
});

documents.onDidClose((e) => {
  service.close(e.document.uri);
  const t = pending.get(e.document.uri);
  if (t) clearTimeout(t);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});

connection.onDidChangeWatchedFiles((e) => {
  service.disk?.invalidate(e.changes.map((c) => service.fileFor(c.uri)));
  void rescanPools();
});

/** The parsed PHP-FPM file of an open php-fpm document, and whether it is a main config. */
function fpmDoc(uri: string): { file: ReturnType<typeof parseIni>; top: 'global' | 'pool' } | undefined {
  const doc = documents.get(uri);
  if (!doc || doc.languageId !== 'php-fpm') return undefined;
  const path = service.fileFor(uri);
  return { file: parseIni(doc.getText()), top: isFpmMain(path, service.overlay) ? 'global' : 'pool' };
}

connection.onHover((p) =>
  guard('hover', null, async () => {
    const fpm = fpmDoc(p.textDocument.uri);
    if (fpm) {
      const h = fpmHover(fpm.file, p.position, fpm.top);
      const s = await settings.get(p.textDocument.uri);
      const docs = service
        .problems(p.textDocument.uri, s, 'php-fpm')
        .filter((x) => x.docs && x.span.start.line <= p.position.line && p.position.line <= x.span.end.line)
        .map((x) => ruleDocs(x.code))
        .filter((d): d is string => !!d);
      if (docs.length === 0) return h;
      const own = h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
      return { contents: { kind: 'markdown' as const, value: [own, ...new Set(docs)].filter(Boolean).join('\n\n---\n\n') }, range: h?.range };
    }
    const m = await modelFor(p.textDocument.uri);
    if (!m) return null;
    const h = hover(m, p.position);
    // The docs page of any rule finding under the cursor.
    const at = (s: Problem['span']) =>
      (s.start.line < p.position.line || (s.start.line === p.position.line && s.start.character <= p.position.character)) &&
      (s.end.line > p.position.line || (s.end.line === p.position.line && s.end.character >= p.position.character));
    const docs = [...new Set(m.problems.filter((x) => x.docs && at(x.span)).map((x) => x.code))].map(ruleDocs).filter((d): d is string => !!d);
    if (docs.length === 0) return h;
    const own = h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '';
    return { contents: { kind: 'markdown' as const, value: [own, ...docs].filter(Boolean).join('\n\n---\n\n') }, range: h?.range };
  }),
);

connection.onCompletion((p) =>
  guard('completion', [], async () => {
    const fpm = fpmDoc(p.textDocument.uri);
    if (fpm) return fpmCompletion(fpm.file, p.position, fpm.top);
    const m = await modelFor(p.textDocument.uri);
    return m ? complete(m, p.position) : [];
  }),
);

connection.onDocumentSymbol((p) =>
  guard('symbols', [], async () => {
    const m = await modelFor(p.textDocument.uri);
    return m ? documentSymbols(m) : [];
  }),
);

connection.onDefinition((p) =>
  guard('definition', [], async () => {
    const m = await modelFor(p.textDocument.uri);
    return m ? definition(m, p.position) : [];
  }),
);

connection.onFoldingRanges((p) =>
  guard('folding', [], async () => {
    const m = await modelFor(p.textDocument.uri);
    return m ? foldingRanges(m) : [];
  }),
);

connection.onDocumentFormatting((p) =>
  guard('formatting', [], async () => {
    const m = await modelFor(p.textDocument.uri);
    return m ? formatDocument(m, p.options) : [];
  }),
);

connection.onCodeAction((p) => guard('code actions', [], () => codeActionsFor(p.context.diagnostics)));

documents.listen(connection);
connection.listen();
