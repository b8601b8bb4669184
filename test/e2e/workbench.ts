// Driving the VS Code workbench (code-server's web client in Debian's Chromium) the way a person
// does: the command palette, quick picks, modal dialogs, the webviews' own DOM. Every wait is on
// a selector or a condition in the page, never a fixed sleep.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

export interface CodeServer {
  url: string;
  port: number;
  proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  bin: string;
  /** Node 24's bin folder, put first on PATH (code-server's entry is `#!/usr/bin/env node`). */
  nodeBin: string;
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** Runs the extension tests given in the URL payload (hides notification toasts). */
  testDriver: boolean;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/** Starts code-server on a free loopback port; resolves once /healthz answers. */
export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  const port = await freePort();
  const args = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir',
    o.userDataDir,
    '--extensions-dir',
    o.extensionsDir,
    ...(o.testDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    o.workspace,
  ];
  const proc = spawn(o.bin, args, { env: { ...o.env, PATH: `${o.nodeBin}:${o.env.PATH ?? process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        // Gone.
      }
      const t = setTimeout(() => {
        try {
          process.kill(-proc.pid!, 'SIGKILL');
        } catch {
          // Gone.
        }
      }, 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${out}`);
    if (await healthy(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz within 60 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${port}`, port, proc, log: () => out, stop };
}

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Debian chromium is not installed (test/setup.sh installs it)');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 60_000 });
  // The status bar is drawn once the extension host is connected and the layout settled.
  await page.locator('.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
}

function startsWith(text: string): RegExp {
  return new RegExp('^\\s*' + text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/**
 * F1, the command's label typed, and a click on the row that starts with it (the first row is not
 * always it: "Browse Color Themes in Marketplace" comes before "Color Theme"). Right after the
 * workbench loads, the palette can open before the extensions' commands are registered: then it
 * is closed and opened again.
 */
export async function runCommand(page: Page, label: string): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: startsWith(label) }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${label}`);
      await row.waitFor({ state: 'visible', timeout: 5000 });
      break;
    } catch (e) {
      if (attempt >= 4) throw e;
      await page.keyboard.press('Escape');
      // Focus may be inside a webview, which keeps F1: focus the workbench first.
      await page.locator('.statusbar').click({ position: { x: 2, y: 2 } });
    }
  }
  await acceptRow(page, row);
  // The palette closes before the command opens its own quick input (the same widget).
  await page.locator('.quick-input-widget .quick-input-box input[aria-label="Type the name of a command to run."]').waitFor({ state: 'hidden', timeout: 15_000 });
}

/** Moves the quick pick's focus to `row` with the arrow keys, then Enter (as a person would). */
async function acceptRow(page: Page, row: Locator): Promise<void> {
  const want = Number(await row.getAttribute('data-index'));
  for (let i = 0; i < 50; i++) {
    const focused = Number(await page.locator('.quick-input-widget .monaco-list-row.focused').first().getAttribute('data-index', { timeout: 2000 }).catch(() => '-1'));
    if (focused === want) break;
    await page.keyboard.press(focused < want ? 'ArrowDown' : 'ArrowUp');
  }
  await page.keyboard.press('Enter');
}

/** Types into the open quick pick and clicks the first row that starts with `text`. */
export async function pickQuickItem(page: Page, text: string, rowText: string | RegExp = startsWith(text)): Promise<void> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: rowText }).first();
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(text);
  await row.waitFor({ state: 'visible', timeout: 15_000 });
  await acceptRow(page, row);
}

/** The inner frame of the visible webview whose body says `data-view=view` (and shows `target`, when given). */
export async function webviewFrame(page: Page, view: 'diagnosis' | 'logviewer', timeoutMs = 30_000, target?: string): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      const v = await f.evaluate('document.body ? [document.body.dataset.view, (document.querySelector(".target") || {}).textContent] : []').catch(() => []);
      if (Array.isArray(v) && v[0] === view && (target === undefined || v[1] === target)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no ${view} webview within ${timeoutMs} ms`);
    await page.waitForEvent('frameattached', { timeout: 250 }).catch(() => undefined);
  }
}

/** Screenshots the <iframe> that hosts a webview's frame (the panel as shown). */
export async function screenshotWebview(frame: Frame, file: string): Promise<void> {
  const outer = frame.parentFrame();
  const handle = outer ? await outer.frameElement() : await frame.frameElement();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await handle.screenshot({ path: file });
}

/** Picks a color theme through "Preferences: Color Theme" and waits for the workbench to switch. */
export async function setColorTheme(page: Page, theme: string, kind: 'vs' | 'vs-dark'): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  await pickQuickItem(page, theme);
  await page.locator(`.monaco-workbench.${kind}`).waitFor({ state: 'attached', timeout: 15_000 });
}

/**
 * The VS Code user settings of a test or bench run: a quiet workbench (no tips, updates,
 * telemetry, trust prompts), the diagnosis window the CLI baseline uses, plus `extra`.
 */
export function writeUserSettings(userDataDir: string, extra: Record<string, unknown> = {}, theme = 'Default Dark Modern'): void {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  const settings = {
    'workbench.colorTheme': theme,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    'chat.disableAIFeatures': true,
    'window.commandCenter': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'git.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    // As the CLI runs in the lab (Lab.diagnose: --since 10m).
    'nginx502.diagnose.since': '10m',
    ...extra,
  };
  fs.writeFileSync(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}
