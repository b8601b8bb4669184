// `ngx502-remote://TARGET/etc/nginx/nginx.conf`: a host's files, read-only, over the same
// transport the diagnosis used (SSH, or this machine for `local`). Opening a config through it
// gives the language server's diagnostics and hovers on the host's own file.
//
// Reads go through `cat`/`stat` with the path as a positional parameter (never spliced into a
// command), through `sudo -n` when nginx502.diagnose.sudo is set, and are capped at 8 MB.

import * as vscode from 'vscode';
import { classifyFailure, shellCommand, type Transport } from '../remote/transport';
import type { Connections } from '../commands/connections';

export const REMOTE_SCHEME = 'ngx502-remote';

const MAX_FILE_BYTES = 8 * 1024 * 1024;
const TIMEOUT_MS = 20_000;

// $1: path. Prints "TYPE SIZE MTIME" (TYPE f, d, or o for anything else); GNU, busybox and BSD stat differ, so test(1) decides the type.
const STAT_SCRIPT = 'if [ -d "$1" ]; then t=d; elif [ -f "$1" ]; then t=f; elif [ -e "$1" ]; then t=o; else echo "$1: No such file or directory" >&2; exit 2; fi; s=$(stat -L -c "%s %Y" -- "$1" 2>/dev/null || echo "0 0"); echo "$t $s"';
// $1: a folder. One entry a line: "d NAME" or "f NAME".
const LIST_SCRIPT = 'cd -- "$1" || exit 2; for f in * .[!.]* ..?*; do [ -e "$f" ] || [ -L "$f" ] || continue; if [ -d "$f" ]; then echo "d $f"; else echo "f $f"; fi; done';

/** The URI of a host's file. The target is the authority (lower-cased by URIs; see Connections.targetFor). */
export function remoteUri(target: string, file: string): vscode.Uri {
  return vscode.Uri.from({ scheme: REMOTE_SCHEME, authority: target, path: file });
}

export class RemoteFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;

  constructor(
    private readonly connections: Connections,
    private readonly sudo: () => boolean,
  ) {}

  private async transport(uri: vscode.Uri): Promise<Transport> {
    try {
      return await this.connections.get(this.connections.targetFor(uri.authority));
    } catch (e) {
      throw vscode.FileSystemError.Unavailable(`${uri.authority}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private command(script: string, path: string): string {
    const argv = ['sh', '-c', script, 'ngx502-fs', path];
    return shellCommand(this.sudo() ? ['sudo', '-n', '--', ...argv] : argv);
  }

  private fail(uri: vscode.Uri, stderr: string): never {
    const kind = classifyFailure(stderr);
    if (kind === 'missing') throw vscode.FileSystemError.FileNotFound(uri);
    if (kind === 'not-permitted') throw vscode.FileSystemError.NoPermissions(`${uri.path} on ${uri.authority}: ${stderr.trim().split('\n')[0]}`);
    throw vscode.FileSystemError.Unavailable(`${uri.path} on ${uri.authority}: ${stderr.trim().split('\n')[0] || 'cannot be read'}`);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const t = await this.transport(uri);
    const r = await t.run(this.command(STAT_SCRIPT, uri.path), { timeoutMs: TIMEOUT_MS, maxBytes: 4096 });
    if (r.code !== 0) this.fail(uri, r.stderr);
    const [type, size, mtime] = r.stdout.trim().split(' ');
    return {
      type: type === 'd' ? vscode.FileType.Directory : type === 'f' ? vscode.FileType.File : vscode.FileType.Unknown,
      size: Number(size) || 0,
      mtime: (Number(mtime) || 0) * 1000,
      ctime: 0,
      permissions: vscode.FilePermission.Readonly,
    };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const t = await this.transport(uri);
    const r = await t.run(this.command(LIST_SCRIPT, uri.path), { timeoutMs: TIMEOUT_MS, maxBytes: 4 * 1024 * 1024 });
    if (r.code !== 0) this.fail(uri, r.stderr);
    return r.stdout
      .split('\n')
      .filter((l) => l.length > 2)
      .map((l): [string, vscode.FileType] => [l.slice(2), l[0] === 'd' ? vscode.FileType.Directory : vscode.FileType.File]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const t = await this.transport(uri);
    const r = await t.run(this.command('exec cat -- "$1"', uri.path), { timeoutMs: TIMEOUT_MS, maxBytes: MAX_FILE_BYTES + 1, encoding: 'buffer' });
    if (r.truncated) throw vscode.FileSystemError.Unavailable(`${uri.path} on ${uri.authority} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB`);
    if (r.timedOut) throw vscode.FileSystemError.Unavailable(`${uri.path} on ${uri.authority}: no answer within ${TIMEOUT_MS / 1000} s`);
    if (r.code !== 0) this.fail(uri, r.stderr);
    return r.stdout;
  }

  watch(): vscode.Disposable {
    // A snapshot: the files are re-read when reopened (or "Revert File").
    return new vscode.Disposable(() => undefined);
  }

  writeFile(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(`${uri.path} on ${uri.authority} is read-only here: change it on the host`);
  }

  createDirectory(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): never {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Opens a host's file at a line (1-based) through the read-only file system, beside the panel asking. */
export async function openRemoteFile(target: string, file: string, line?: number): Promise<void> {
  const uri = remoteUri(target, file);
  const pos = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: true, viewColumn: vscode.ViewColumn.Beside });
}
