// Extension entry: activate and deactivate only. Starts the bundled language server and wires
// the commands, panels, remote file system and status bar; the work is in commands/, panels/
// and remotefs/.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import type { Nginx502Api } from './commands/api';
import { DiagnoseCodeLens } from './commands/codelens';
import { Connections } from './commands/connections';
import { diagnoseCommand, diagnosisRunner, openLogViewerCommand } from './commands/diagnose';
import { diagnoseSettings } from './commands/settings';
import { StatusItem, type ServerState } from './commands/status';
import { RecentTargets } from './commands/targets';
import { DIAGNOSIS_VIEW_TYPE, DiagnosisPanels } from './panels/diagnosisPanel';
import { LOG_VIEW_TYPE, LogViewers } from './panels/logViewerPanel';
import { openRemoteFile, REMOTE_SCHEME, RemoteFileSystem } from './remotefs/provider';
import { SERVER_EXEC_ARGV } from './serverArgs';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Nginx502Api> {
  const output = vscode.window.createOutputChannel('Nginx 502 Doctor', { log: true });
  context.subscriptions.push(output);

  // The host side: connections, panels, the remote file system, commands. Registered before the
  // language server starts so the commands and restored panels work while it starts.
  const status = new StatusItem();
  const connections = new Connections(context.secrets, context.globalState, output);
  const recent = new RecentTargets(context.globalState);
  const viewers = new LogViewers(context.extensionUri, output, connections);
  const panels = new DiagnosisPanels(context.extensionUri, output, diagnosisRunner(connections, recent, output), {
    openLogViewer: async (target, logs, p) => viewers.open(target, logs, p),
    openFile: (target, file, line) => openRemoteFile(target, file, line),
  });
  let serverState: ServerState = 'starting';
  context.subscriptions.push(
    status,
    panels,
    viewers,
    connections,
    panels.onDidChange((s) => status.setDiagnosis(s)),
    vscode.workspace.registerFileSystemProvider(REMOTE_SCHEME, new RemoteFileSystem(connections, () => diagnoseSettings().sudo), { isCaseSensitive: true, isReadonly: true }),
    vscode.window.registerWebviewPanelSerializer(DIAGNOSIS_VIEW_TYPE, panels),
    vscode.window.registerWebviewPanelSerializer(LOG_VIEW_TYPE, viewers),
    vscode.languages.registerCodeLensProvider({ language: 'nginx' }, new DiagnoseCodeLens(connections, recent)),
    vscode.commands.registerCommand('nginx502.diagnose', (target?: unknown) => diagnoseCommand(panels, recent, target)),
    vscode.commands.registerCommand('nginx502.openLogViewer', (target?: unknown, p?: unknown) => openLogViewerCommand(panels, viewers, recent, target, p)),
    vscode.commands.registerCommand('nginx502.showLastDiagnosis', () => (panels.revealLast() ? undefined : vscode.commands.executeCommand('nginx502.diagnose'))),
    vscode.commands.registerCommand('nginx502.showOutput', () => output.show()),
    vscode.commands.registerCommand('nginx502.forgetSecrets', async () => {
      const n = await connections.forgetSecrets();
      void vscode.window.showInformationMessage(`Nginx 502: forgot ${n} saved password(s) and passphrase(s).`);
    }),
  );

  const module = context.asAbsolutePath(path.join('server', 'out', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_EXEC_ARGV] } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_EXEC_ARGV, '--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'nginx' }, { language: 'php-fpm' }],
    outputChannel: output,
    synchronize: {
      configurationSection: 'nginx502',
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.conf,nginx.conf,*.nginx,sites-available/*,sites-enabled/*}'),
    },
  };
  client = new LanguageClient('nginx502', 'Nginx 502 Doctor', serverOptions, clientOptions);
  context.subscriptions.push(
    client.onDidChangeState((e) => {
      serverState = e.newState === State.Running ? 'running' : e.newState === State.Starting ? 'starting' : 'stopped';
      status.setServer(serverState);
    }),
  );
  try {
    await client.start();
  } catch (e) {
    const message = `Nginx 502 Doctor: the language server did not start: ${e instanceof Error ? e.message : String(e)}`;
    output.error(message);
    status.setServer('stopped');
    void vscode.window.showErrorMessage(message);
    throw e;
  }

  return {
    onDidRenderDiagnosis: panels.onDidRender,
    onDidShowLogLines: viewers.onDidShow,
    diagnosisState: (target) => panels.state(target),
    logViewerPath: (target) => viewers.pathOf(target),
    serverState: () => serverState,
  };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
