// The end-to-end run in a real VS Code: code-server (its bundled VS Code 1.139, a Node extension
// host) opened in Debian's Chromium, driven by playwright-core. See ../../../shared/reference/vscode-e2e.md.
//
//   1. The lab host (test/lab/lab.ts): a real sshd and nginx in their own PID namespace; the site
//      proxies /closed/ to a port nothing listens on, so its first cause is upstream-refused.
//   2. Phase "suite": the mocha suite (test/e2e/suite/) runs inside the extension host with this
//      folder as the extension under development; it writes its results to a file checked here.
//   3. Phase "ui": `npm run package` builds the .vsix, code-server installs it, and the workbench
//      is driven as a person would: the command palette, the target pick, the host-key modal, the
//      panel's buttons, the log viewer, a theme switch and a window reload. Screenshots of both
//      panels in a dark and a light theme go to test/e2e/screenshots/.
//
// Exits non-zero when anything fails. NGX502_E2E=0 skips the whole run (says so).

import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { Lab, labSkipReason, type Site } from '../lab/lab';
import { descendants, fingerprintOf, keygen } from '../lab/sshd';
import type { SuiteResults } from './suite/index';
import { ALIAS, ALIAS_CHANGED, ALIAS_PASSPHRASE, buildSuite, labInfo, labSite, makeHome, ROOT, WORK } from './harness';
import { launchBrowser, pickQuickItem, writeUserSettings, runCommand, screenshotWebview, setColorTheme, startCodeServer, waitForWorkbench, webviewFrame, type CodeServer } from './workbench';

const SHOTS = path.join(ROOT, 'test', 'e2e', 'screenshots');
const PASSPHRASE = 'e2e secret passphrase';
/** A quick pick row of exactly this alias (not the longer aliases that start with it). */
const aliasRow = (alias: string) => new RegExp(`^\\s*${alias.replace(/[-.]/g, '\\$&')}(?![\\w-])`);
const EXTENSION_ID = 'nginx-502-doctor.nginx-502-doctor';

interface Check {
  phase: string;
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}
const checks: Check[] = [];

function log(s: string): void {
  process.stderr.write(`[e2e ${((Date.now() - T0) / 1000).toFixed(1)}s] ${s}\n`);
}
const T0 = Date.now();

async function check(phase: string, name: string, f: () => Promise<void>): Promise<boolean> {
  const t = Date.now();
  try {
    await f();
    checks.push({ phase, name, ok: true, ms: Date.now() - t });
    log(`ok   ${phase}: ${name} (${Date.now() - t} ms)`);
    return true;
  } catch (e) {
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    checks.push({ phase, name, ok: false, ms: Date.now() - t, error });
    log(`FAIL ${phase}: ${name}\n${error}`);
    return false;
  }
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

/** code-server's folder (installed and cached by install-code-server.sh when missing). */
function codeServer(): { bin: string; nodeBin: string } {
  const dir = execFileSync('bash', [path.join(ROOT, 'test/e2e/install-code-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
  return { bin: path.join(dir, 'bin', 'code-server'), nodeBin: path.join(path.dirname(dir), fs.readdirSync(path.dirname(dir)).find((d) => d.startsWith('node-v'))!, 'bin') };
}

function fingerprints(knownHostsLines: string[]): string[] {
  return knownHostsLines.map((l) => 'SHA256:' + createHash('sha256').update(Buffer.from(l.trim().split(/\s+/)[2] ?? '', 'base64')).digest('base64').replace(/=+$/, ''));
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the mocha suite inside the extension host.

async function suitePhase(browser: Browser, cs: { bin: string; nodeBin: string }, lab: Lab, site: Site, workspace: string): Promise<void> {
  const dir = path.join(WORK, 'suite-run');
  fs.rmSync(dir, { recursive: true, force: true });
  const outDir = path.join(WORK, 'suite');
  fs.rmSync(outDir, { recursive: true, force: true });
  await buildSuite(outDir);
  const results = path.join(dir, 'results.json');
  const home = makeHome(path.join(dir, 'home'), lab, lab.sshd.knownHostsLines());
  writeUserSettings(path.join(dir, 'user-data'));
  const server = await startCodeServer({
    ...cs,
    userDataDir: path.join(dir, 'user-data'),
    extensionsDir: path.join(dir, 'extensions'),
    workspace,
    env: { ...process.env, HOME: home, NGX502_E2E_LAB: JSON.stringify(labInfo(site)), NGX502_E2E_RESULTS: results },
    testDriver: true,
  });
  log(`suite: code-server on ${server.url}`);
  const page = await browser.newPage();
  try {
    let exitCode: number | undefined;
    const exited = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => {
        exitCode = code;
        resolve(code);
      });
    });
    await page.exposeFunction('codeAutomationLog', (_level: string, args: unknown[]) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`  | ${line}\n`);
    });
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(path.join(outDir, 'index.js'))],
    ];
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const code = await Promise.race([exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the suite did not finish within 5 minutes')), 300_000).unref())]).catch((e: unknown) => {
      log(`suite: ${e instanceof Error ? e.message : String(e)}\n${server.log().slice(-4000)}`);
      return -1;
    });
    void exitCode;
    let r: SuiteResults | undefined;
    try {
      r = JSON.parse(fs.readFileSync(results, 'utf8')) as SuiteResults;
    } catch {
      r = undefined;
    }
    if (!r) {
      checks.push({ phase: 'suite', name: 'the suite wrote its results', ok: false, ms: 0, error: `no results at ${results} (exit code ${code})` });
      log(`FAIL suite: no results file (exit code ${code})\n${server.log().slice(-4000)}`);
      return;
    }
    for (const t of r.tests) {
      checks.push({ phase: 'suite', name: t.title, ok: t.state === 'passed', ms: t.durationMs, error: t.error });
      log(`${t.state === 'passed' ? 'ok  ' : 'FAIL'} suite: ${t.title} (${t.durationMs} ms)${t.error ? `\n${t.error}` : ''}`);
    }
    if (code !== 0 && r.failed === 0) checks.push({ phase: 'suite', name: 'the suite exited with 0', ok: false, ms: 0, error: `exit code ${code}` });
  } finally {
    await page.close().catch(() => undefined);
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: the packaged extension, driven through the UI.

function sh(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

async function uiPhase(browser: Browser, cs: { bin: string; nodeBin: string }, lab: Lab, site: Site, workspace: string): Promise<void> {
  const dir = path.join(WORK, 'ui-run');
  fs.rmSync(dir, { recursive: true, force: true });
  const extensionsDir = path.join(dir, 'extensions');
  const userDataDir = path.join(dir, 'user-data');
  // A key with a passphrase, authorized on the lab's sshd (it reads authorized_keys at each login).
  fs.mkdirSync(dir, { recursive: true });
  const passKey = keygen(path.join(dir, 'id_passphrase'), 'ed25519', PASSPHRASE);
  fs.appendFileSync(path.join(lab.sshd.dir, 'authorized_keys'), passKey.pub + '\n');
  const home = makeHome(path.join(dir, 'home'), lab, [], passKey.path); // the host key is unknown: the modal asks
  writeUserSettings(userDataDir);
  const env = { ...process.env, HOME: home, PATH: `${cs.nodeBin}:${process.env.PATH}` };

  const vsix = path.join(ROOT, 'nginx-502-doctor.vsix');
  const packaged = await check('ui', '`npm run package` builds the .vsix and code-server installs it', async () => {
    await sh('npm', ['run', '--silent', 'package']);
    assert(fs.existsSync(vsix), 'no nginx-502-doctor.vsix');
    await sh(cs.bin, ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'], { env });
    const list = await sh(cs.bin, ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--list-extensions'], { env });
    assert(list.includes(EXTENSION_ID), `code-server --list-extensions does not show ${EXTENSION_ID}:\n${list}`);
  });
  if (!packaged) return;
  const server: CodeServer = await startCodeServer({ ...cs, userDataDir, extensionsDir, workspace, env: { ...process.env, HOME: home }, testDriver: false });
  log(`ui: code-server on ${server.url}`);
  const context = await browser.newContext({ viewport: { width: 1500, height: 950 }, deviceScaleFactor: 1, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  try {
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    await waitForWorkbench(page);

    await check('ui', 'the packaged extension activates on an nginx file (diagnostics, status bar)', async () => {
      // Quick Open the fixture: onLanguage:nginx activates it; the server's diagnostics show.
      await page.keyboard.press('Control+P');
      await pickQuickItem(page, 'nginx.conf');
      await page.locator('.tabs-container .tab', { hasText: 'nginx.conf' }).first().waitFor({ state: 'visible', timeout: 15_000 });
      await page.locator('.statusbar-item', { hasText: /nginx/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
      // The problems counter: 1 error (unknown directive), 1 warning (localhost).
      await page.locator('.statusbar-item[id="status.problems"]', { hasText: /1\D+1/ }).waitFor({ state: 'visible', timeout: 30_000 });
    });

    const diagnosed = await check('ui', 'Diagnose 502 on host: pick the ssh config host, trust its key in the modal, upstream-refused first', async () => {
      const t = Date.now();
      await runCommand(page, 'Nginx 502: Diagnose 502 on host');
      await pickQuickItem(page, ALIAS, aliasRow(ALIAS));
      log(`ui: target picked ${Date.now() - t} ms after F1`);
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 30_000 });
      log(`ui: host key modal shown ${Date.now() - t} ms after F1`);
      const text = await dialog.innerText();
      const known = fingerprints(lab.sshd.knownHostsLines());
      assert(known.some((f) => text.includes(f)), `the modal shows one of the host's fingerprints ${known.join(', ')}:\n${text}`);
      await dialog.locator('.monaco-button', { hasText: 'Trust' }).click();
      const t0 = Date.now();
      const frame = await webviewFrame(page, 'diagnosis', 30_000);
      await frame.locator('.card').first().waitFor({ state: 'visible', timeout: 90_000 });
      const first = await frame.locator('.card').first().getAttribute('data-cause');
      assert(first === 'upstream-refused', `first cause card: ${first}`);
      const title = await frame.locator('.card .title').first().innerText();
      assert(/refuses connections/.test(title), `card title: ${title}`);
      log(`ui: first cause rendered ${Date.now() - t0} ms after Trust`);
      const known2 = fs.readFileSync(path.join(home, '.ssh', 'known_hosts'), 'utf8');
      // Recorded as OpenSSH would (hashed when the system config says HashKnownHosts yes).
      const blobs = lab.sshd.knownHostsLines().map((l) => l.trim().split(/\s+/)[2]);
      assert(blobs.some((b) => b && known2.includes(b)), `the trusted key is recorded in known_hosts:\n${known2}`);
      await frame.locator('svg.bars rect.b502').first().waitFor({ state: 'attached', timeout: 5000 });
    });
    if (!diagnosed) return;

    await check('ui', 'the webviews use a strict CSP (default-src none, nonce, no unsafe-inline)', async () => {
      const frame = await webviewFrame(page, 'diagnosis');
      const csp = (await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
      assert(csp.includes("default-src 'none'") && /script-src 'nonce-[^']+'/.test(csp) && !csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), `CSP: ${csp}`);
    });

    await screenshotStep(page, 'diagnosis', 'dark');

    await check('ui', 'Copy report as Markdown puts the causes on the clipboard', async () => {
      const frame = await webviewFrame(page, 'diagnosis');
      await frame.locator('#copy').click();
      await page.locator('.notification-toast', { hasText: 'on the clipboard' }).first().waitFor({ state: 'visible', timeout: 10_000 });
      const md = String(await page.evaluate('navigator.clipboard.readText()'));
      assert(md.startsWith(`# 502 diagnosis of \`${ALIAS}\``) && md.includes('## 1. The backend refuses connections') && md.includes('`upstream-refused`'), `the clipboard:\n${md.slice(0, 400)}`);
    });

    await check('ui', 'a fix location button opens the host file at its line (ngx502-remote:)', async () => {
      const frame = await webviewFrame(page, 'diagnosis');
      const buttons = frame.locator('button.file', { hasText: /nginx\.conf:\d+/ });
      assert((await buttons.count()) > 0, 'a button with a config file location');
      const label = await buttons.first().innerText();
      await buttons.first().click();
      const tab = page.locator('.tabs-container .tab.active', { hasText: 'nginx.conf' });
      await tab.first().waitFor({ state: 'visible', timeout: 20_000 });
      const line = Number(label.split(':').pop());
      await page.locator('.statusbar-item', { hasText: `Ln ${line},` }).first().waitFor({ state: 'visible', timeout: 10_000 });
      // Read-only: the editor says so when typed into.
      await page.keyboard.type('x');
      await page.locator('.monaco-editor-overlaymessage, .notification-toast', { hasText: /read-only|Cannot edit/i }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await page.keyboard.press('Escape');
      await runCommand(page, 'View: Close Editor');
      await webviewFrame(page, 'diagnosis', 10_000);
    });

    const viewer = await check('ui', 'Open log viewer: the lab error log, last lines first', async () => {
      const frame = await webviewFrame(page, 'diagnosis');
      await frame.locator('#logs').click();
      const lv = await webviewFrame(page, 'logviewer', 30_000);
      await lv.locator('#status.live').waitFor({ state: 'visible', timeout: 30_000 });
      await lv.locator('.row.sig').first().waitFor({ state: 'visible', timeout: 10_000 });
      const tip = await lv.locator('.row.sig').first().getAttribute('title');
      assert(tip && tip.startsWith('upstream-refused:'), `a 502 signature row's tooltip names the cause: ${tip}`);
    });

    if (viewer) {
      await check('ui', 'a 502 appended to the error log appears in the log viewer within 2 s', async () => {
        const lv = await webviewFrame(page, 'logviewer');
        const marker = `/closed/ui-${Date.now()}`;
        const t0 = Date.now();
        const r = await lab.requests(site, marker, 1, 1);
        assert(r.statuses[0] === 502, `the request got ${r.statuses[0]}`);
        await lv.locator('.row', { hasText: marker }).first().waitFor({ state: 'attached', timeout: 5000 });
        const ms = Date.now() - t0;
        assert(ms < 2000, `shown ${ms} ms after the request`);
        log(`ui: the appended 502 line was shown ${ms} ms after the request`);
      });

      await check('ui', 'a log line with <script> and <img onerror> is shown as text and runs nothing', async () => {
        const lv = await webviewFrame(page, 'logviewer');
        const id = `xss-${Date.now()}`;
        const payload = `2025/01/01 00:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /<script>window.ngx502xss=1;alert('script')</script><img src=x onerror=\\"window.ngx502xss=2;alert('img')\\"> HTTP/1.1", upstream: "http://127.0.0.1:1/", host: "${id}"`;
        fs.appendFileSync(site.logs.error, payload + '\n');
        // A real request with markup in its URI too (nginx logs the request line as sent).
        await lab.requests(site, `/closed/<script>alert('${id}')</script><img/src=x/onerror=alert('${id}')>`, 1, 1);
        const row = lv.locator('.row', { hasText: `host: "${id}"` }).first();
        await row.waitFor({ state: 'attached', timeout: 5000 });
        await lv.locator('.row', { hasText: `alert('${id}')</script>` }).first().waitFor({ state: 'attached', timeout: 5000 });
        const facts = {
          text: (await row.textContent()) ?? '',
          children: await row.locator('*').count(),
          injected: await lv.locator('.viewport img, .viewport script, .viewport iframe').count(),
          flag: await lv.evaluate('window.ngx502xss'),
        };
        assert(facts.text === payload, `the row's text is the line itself:\n${facts.text}\n${payload}`);
        assert(facts.children === 0, `the row holds text only (${facts.children} elements)`);
        assert(facts.injected === 0, `${facts.injected} img/script elements in the list`);
        assert(facts.flag === undefined, `a payload ran (window.ngx502xss = ${String(facts.flag)})`);
        assert(dialogs.length === 0, `dialogs opened: ${dialogs.join(', ')}`);
        // Clicked, the line is shown whole under the list, still as text.
        await row.click();
        const detail = lv.locator('#details .detail-text');
        await detail.waitFor({ state: 'visible', timeout: 5000 });
        assert((await detail.textContent()) === payload, 'the details show the line as text');
        assert((await lv.locator('#details img, #details script').count()) === 0, 'no element from the payload in the details');
        assert((await lv.evaluate('window.ngx502xss')) === undefined && dialogs.length === 0, 'nothing ran');
      });

      await check('ui', 'filters: text, 5xx only', async () => {
        const lv = await webviewFrame(page, 'logviewer');
        await lv.locator('#filter').fill('ui-');
        await lv.locator('#counts', { hasText: 'match' }).waitFor({ state: 'visible', timeout: 5000 });
        const texts = await lv.locator('.row:not([hidden])').allInnerTexts();
        assert(texts.length > 0 && texts.every((t) => t.includes('ui-')), `filtered rows: ${texts.length}`);
        await lv.locator('#filter').fill('');
        await lv.locator('#only5xx').check();
        await lv.waitForFunction("[...document.querySelectorAll('.row:not([hidden])')].every((r) => r.classList.contains('s5xx') || r.classList.contains('notice'))", undefined, { timeout: 5000 });
        await lv.locator('#only5xx').uncheck();
      });
      await screenshotStep(page, 'logviewer', 'dark');

      await check('ui', 'a dropped SSH connection: the log viewer reconnects and follows again', async () => {
        const lv = await webviewFrame(page, 'logviewer');
        // Kill every SSH session (the listener stays): the tail's channel and the connection die.
        for (const pid of descendants(lab.sshd.pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Gone already.
          }
        }
        await lv.locator('#status.reconnecting, #status.connecting').first().waitFor({ state: 'attached', timeout: 20_000 });
        await lv.locator('#status.live').waitFor({ state: 'attached', timeout: 30_000 });
        await lv.locator('.row.notice', { hasText: 'Reconnected' }).first().waitFor({ state: 'attached', timeout: 5000 });
        const marker = `/closed/after-reconnect-${Date.now()}`;
        await lab.requests(site, marker, 1, 1);
        await lv.locator('.row', { hasText: marker }).first().waitFor({ state: 'attached', timeout: 5000 });
      });

      await check('ui', 'a log truncated while followed: a notice, then the new lines', async () => {
        const lv = await webviewFrame(page, 'logviewer');
        fs.truncateSync(site.logs.error, 0);
        await lv.locator('.row.notice', { hasText: /truncated/i }).first().waitFor({ state: 'attached', timeout: 10_000 });
        const marker = `/closed/after-truncate-${Date.now()}`;
        await lab.requests(site, marker, 1, 1);
        await lv.locator('.row', { hasText: marker }).first().waitFor({ state: 'attached', timeout: 5000 });
      });
    }

    await check('ui', 'a light theme: both panels follow it', async () => {
      await setColorTheme(page, 'Light Modern', 'vs');
      const frame = await webviewFrame(page, 'diagnosis');
      await frame.locator('body.vscode-light').waitFor({ state: 'attached', timeout: 10_000 });
    });
    await screenshotStep(page, 'diagnosis', 'light');
    if (viewer) await screenshotStep(page, 'logviewer', 'light');
    await page.screenshot({ path: path.join(SHOTS, 'workbench-light.png') });

    await check('ui', 'both panels survive a window reload (serializers)', async () => {
      await runCommand(page, 'Developer: Reload Window');
      await page.waitForEvent('load', { timeout: 30_000 });
      await waitForWorkbench(page);
      await page.locator('.tabs-container .tab', { hasText: `502: ${ALIAS}` }).first().click();
      const frame = await webviewFrame(page, 'diagnosis', 60_000);
      await frame.locator('.status', { hasText: 'Restored after a reload' }).waitFor({ state: 'visible', timeout: 30_000 });
      const first = await frame.locator('.card').first().getAttribute('data-cause');
      assert(first === 'upstream-refused', `first cause after reload: ${first}`);
      if (viewer) {
        // The log viewer comes back too and follows its log again.
        const lv = await webviewFrame(page, 'logviewer', 30_000);
        await lv.locator('#status.live').waitFor({ state: 'attached', timeout: 30_000 });
      }
    });

    await check('ui', 'a changed host key: an error that explains the risk, with no way through', async () => {
      await runCommand(page, 'Nginx 502: Diagnose 502 on host');
      await pickQuickItem(page, ALIAS_CHANGED, aliasRow(ALIAS_CHANGED));
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ state: 'visible', timeout: 30_000 });
      const text = await dialog.innerText();
      assert(/HAS CHANGED/.test(text) && /man-in-the-middle/.test(text), `the modal explains the risk:\n${text}`);
      const presented = lab.sshd.hostKeys.map((k) => fingerprintOf(k.blob));
      assert(presented.some((f) => text.includes(f)), `the modal shows the presented fingerprint:\n${text}`);
      const labels = await dialog.locator('.monaco-button').allInnerTexts();
      assert(!labels.some((l) => /trust|continue|connect|accept/i.test(l)), `no way through: ${labels.join(', ')}`);
      await dialog.locator('.monaco-button').first().click();
      await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
      const frame = await webviewFrame(page, 'diagnosis', 30_000, ALIAS_CHANGED);
      await frame.locator('.status.error', { hasText: /host key/i }).waitFor({ state: 'visible', timeout: 30_000 });
    });

    await check('ui', 'a key passphrase: a password box with a "remember" toggle, kept in SecretStorage, forgotten on request', async () => {
      await runCommand(page, 'Nginx 502: Diagnose 502 on host');
      await pickQuickItem(page, ALIAS_PASSPHRASE, aliasRow(ALIAS_PASSPHRASE));
      const box = page.locator('.quick-input-widget .quick-input-box input[type="password"]');
      await box.waitFor({ state: 'visible', timeout: 30_000 });
      const remember = page.locator('.quick-input-widget .codicon-circle-large-outline');
      await remember.click();
      await page.locator('.quick-input-widget .codicon-pass-filled').waitFor({ state: 'visible', timeout: 5000 });
      await page.locator('.quick-input-widget', { hasText: 'Will be remembered' }).waitFor({ state: 'visible', timeout: 5000 });
      await box.fill(PASSPHRASE);
      await page.keyboard.press('Enter');
      const frame = await webviewFrame(page, 'diagnosis', 30_000, ALIAS_PASSPHRASE);
      await frame.locator('.card').first().waitFor({ state: 'visible', timeout: 60_000 });
      assert((await frame.locator('.card').first().getAttribute('data-cause')) === 'upstream-refused', 'upstream-refused first over the passphrase key');
      await runCommand(page, 'Nginx 502: Forget saved SSH passwords and passphrases');
      await page.locator('.notification-toast', { hasText: 'forgot 1 saved' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    });
  } finally {
    if (checks.some((c) => !c.ok)) {
      await page.screenshot({ path: path.join(SHOTS, 'failure.png') }).catch(() => undefined);
      log(`ui: code-server log tail:\n${server.log().slice(-3000)}`);
    }
    await context.close().catch(() => undefined);
    await server.stop();
  }
}

async function screenshotStep(page: Page, view: 'diagnosis' | 'logviewer', theme: 'dark' | 'light'): Promise<void> {
  await check('ui', `screenshot of the ${view} panel (${theme})`, async () => {
    const frame = await webviewFrame(page, view);
    const file = path.join(SHOTS, `${view}-${theme}.png`);
    await screenshotWebview(frame, file);
    assert(fs.statSync(file).size > 1000, `${file} is empty`);
    if (view === 'diagnosis') await page.screenshot({ path: path.join(SHOTS, `workbench-${theme}.png`) });
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (process.env.NGX502_E2E === '0') {
    log('skipped: NGX502_E2E=0');
    return 0;
  }
  const skip = labSkipReason();
  if (skip) {
    log(`cannot run: ${skip}`);
    return 1;
  }
  fs.mkdirSync(WORK, { recursive: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const cs = codeServer();
  log(`code-server: ${cs.bin} (node ${cs.nodeBin})`);
  // Outside the repository, so the workbench does not offer to open the parent git repository.
  const workspace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-e2e-')), 'workspace');
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'test/e2e/fixtures/workspace'), workspace, { recursive: true });

  const lab = await Lab.start();
  let browser: Browser | undefined;
  try {
    const site = await labSite(lab);
    log(`lab: nginx on 127.0.0.1:${site.port}, sshd on ${lab.sshd.port}, ${site.dir}`);
    browser = await launchBrowser();
    await suitePhase(browser, cs, lab, site, workspace);
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.cpSync(path.join(ROOT, 'test/e2e/fixtures/workspace'), workspace, { recursive: true });
    await uiPhase(browser, cs, lab, site, workspace);
  } finally {
    await browser?.close().catch(() => undefined);
    await lab.stop();
    fs.rmSync(path.dirname(workspace), { recursive: true, force: true });
    // `npm run package` left production bundles in client/out: put the development build back.
    await sh(process.execPath, [path.join(ROOT, 'client/scripts/build.mjs')]).catch((e: unknown) => log(String(e)));
  }
  const passed = checks.filter((c) => c.ok).length;
  const failed = checks.length - passed;
  log(`done in ${((Date.now() - T0) / 1000).toFixed(1)} s; screenshots in ${path.relative(ROOT, SHOTS)}/`);
  process.stdout.write(`e2e: ${passed} passed, ${failed} failed\n`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`e2e: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
