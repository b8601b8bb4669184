// Extension entry: activate and deactivate only. Starts the bundled language server.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SERVER_EXEC_ARGV } from './serverArgs';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Nginx 502 Doctor', { log: true });
  context.subscriptions.push(output);
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
  try {
    await client.start();
  } catch (e) {
    const message = `Nginx 502 Doctor: the language server did not start: ${e instanceof Error ? e.message : String(e)}`;
    output.error(message);
    void vscode.window.showErrorMessage(message);
    throw e;
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
