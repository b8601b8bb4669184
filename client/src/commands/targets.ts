// Where to diagnose: the quick pick of targets ("This machine", recent targets, the Host entries
// of ~/.ssh/config, "Enter user@host[:port]..."), and the list of recent targets.

import SSHConfig from 'ssh-config';
import * as vscode from 'vscode';
import { loadSshConfig, parseTarget } from '../remote/sshconfig';
import { LOCAL_TARGET } from './connections';

const RECENT_KEY = 'ngx502.recentTargets';
const MAX_RECENT = 10;

export class RecentTargets {
  constructor(private readonly state: vscode.Memento) {}

  list(): string[] {
    const v = this.state.get<unknown>(RECENT_KEY, []);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, MAX_RECENT) : [];
  }

  async add(target: string): Promise<void> {
    await this.state.update(RECENT_KEY, [target, ...this.list().filter((t) => t !== target)].slice(0, MAX_RECENT));
  }
}

/** Host aliases of the user's ssh config (no patterns), in file order. */
export function sshConfigHosts(): string[] {
  const out: string[] = [];
  try {
    const config = loadSshConfig({ systemConfig: null });
    for (const line of config) {
      if (line.type !== SSHConfig.DIRECTIVE || line.param.toLowerCase() !== 'host') continue;
      const values = typeof line.value === 'string' ? line.value.split(/\s+/) : line.value.map((v) => v.val);
      for (const h of values) if (h && !/[*?!]/.test(h) && !out.includes(h)) out.push(h);
    }
  } catch {
    // An unreadable or broken config lists nothing; connecting will say what is wrong.
  }
  return out;
}

/** A target typed by the person: undefined when valid, else what is wrong. */
export function validateTarget(v: string): string | undefined {
  const s = v.trim();
  if (s === '') return 'user@host, host:port, or an alias of ~/.ssh/config';
  if (s === LOCAL_TARGET) return undefined;
  try {
    parseTarget(s);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

interface TargetItem extends vscode.QuickPickItem {
  target?: string;
  enter?: boolean;
}

/** Asks where to diagnose; undefined when dismissed. */
export async function pickTarget(recent: RecentTargets): Promise<string | undefined> {
  const items: TargetItem[] = [{ label: '$(vm) This machine', description: 'local', detail: 'Run the probes here (in a Remote-SSH window: on that host)', target: LOCAL_TARGET }];
  const recents = recent.list().filter((t) => t !== LOCAL_TARGET);
  if (recents.length) {
    items.push({ label: 'Recent', kind: vscode.QuickPickItemKind.Separator });
    for (const t of recents) items.push({ label: `$(history) ${t}`, target: t });
  }
  const hosts = sshConfigHosts().filter((h) => !recents.includes(h));
  if (hosts.length) {
    items.push({ label: '~/.ssh/config', kind: vscode.QuickPickItemKind.Separator });
    for (const h of hosts) items.push({ label: `$(remote) ${h}`, target: h });
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: '$(edit) Enter user@host[:port]...', enter: true, alwaysShow: true });
  const pick = await vscode.window.showQuickPick(items, { title: 'Nginx 502: diagnose which host?', placeHolder: 'A host from ~/.ssh/config, a recent one, or this machine', matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.target) return pick.target;
  const typed = await vscode.window.showInputBox({
    title: 'Nginx 502: diagnose which host?',
    prompt: 'user@host[:port] or an alias of ~/.ssh/config',
    placeHolder: 'root@10.0.0.5:22',
    ignoreFocusOut: true,
    validateInput: validateTarget,
  });
  return typed?.trim() || undefined;
}
