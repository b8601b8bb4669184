// The same mocha suite through @vscode/test-electron, for a machine where a desktop VS Code can
// be downloaded (it fetches one from Microsoft's servers; here that fails with ENOTFOUND, so
// test/e2e/run.ts uses code-server instead). Needs a display (xvfb-run on a headless Linux).
//
//   xvfb-run -a node --import tsx test/e2e/run-electron.ts

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { Lab } from '../lab/lab';
import { buildSuite, labInfo, labSite, makeHome, ROOT, WORK } from './harness';
import type { SuiteResults } from './suite/index';

async function main(): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ngx502-e2e-electron-'));
  const out = path.join(WORK, 'suite-electron');
  await buildSuite(out);
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(ROOT, 'test/e2e/fixtures/workspace'), workspace, { recursive: true });
  const results = path.join(tmp, 'results.json');
  const lab = await Lab.start();
  try {
    const site = await labSite(lab);
    const home = makeHome(path.join(tmp, 'home'), lab, lab.sshd.knownHostsLines());
    const code = await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(out, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--user-data-dir', path.join(tmp, 'user-data')],
      extensionTestsEnv: { HOME: home, NGX502_E2E_LAB: JSON.stringify(labInfo(site)), NGX502_E2E_RESULTS: results },
    });
    const r = JSON.parse(fs.readFileSync(results, 'utf8')) as SuiteResults;
    for (const t of r.tests) process.stderr.write(`${t.state === 'passed' ? 'ok  ' : 'FAIL'} ${t.title}${t.error ? `\n${t.error}` : ''}\n`);
    process.stdout.write(`e2e-electron: ${r.passed} passed, ${r.failed} failed\n`);
    return code === 0 && r.failed === 0 && r.passed > 0 ? 0 : 1;
  } finally {
    await lab.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`e2e-electron: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
