// The HTML shell of a webview: CSP `default-src 'none'`, the view's one bundled script (with a
// fresh nonce) and stylesheet from the extension's own folder, nothing inline, nothing remote.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export type ViewName = 'diagnosis' | 'logviewer';

/** Webview options: scripts on, and only the bundles' folder readable. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'client', 'out', 'webview')],
    retainContextWhenHidden: false,
  };
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join('; ');
}

export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, view: ViewName, title: string): string {
  const nonce = randomBytes(18).toString('base64');
  const base = vscode.Uri.joinPath(extensionUri, 'client', 'out', 'webview');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(base, `${view}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(base, `${view}.css`));
  // Only constant text and URIs VS Code made go into this template; everything from a host is
  // sent later as data and rendered through textContent.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>${escapeAttr(title)}</title>
</head>
<body data-view="${view}">
<div id="app" role="main"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

function escapeAttr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
