// The suite's entry inside the extension host (what `extensionTestsPath` points at, for
// code-server here and for @vscode/test-electron where a desktop VS Code can be had): runs the
// mocha files next to it and writes the results to $NGX502_E2E_RESULTS, which the runner checks.
// Rejecting makes VS Code report exit code 1.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResults {
  passed: number;
  failed: number;
  tests: { title: string; state: 'passed' | 'failed'; durationMs: number; error?: string }[];
  durationMs: number;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  const out = process.env.NGX502_E2E_RESULTS;
  const results: SuiteResults = { passed: 0, failed: 0, tests: [], durationMs: 0 };
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      results.durationMs = Date.now() - t0;
      if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2));
      if (failures > 0 || results.passed === 0) reject(new Error(`${failures} of ${results.passed + results.failed} e2e tests failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      results.passed++;
      results.tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 });
    });
    runner.on('fail', (t, err: Error) => {
      results.failed++;
      results.tests.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error: err?.stack ?? String(err) });
    });
  });
}
