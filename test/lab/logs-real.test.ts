// Re-produces a few 502 signatures with the real nginx and PHP-FPM (the lab of
// test/fixtures/logs/produce.ts) and checks that the parsers classify what the programs wrote
// today, not only the saved fixtures. Skips when nginx/php-fpm are missing or not root.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { labMissing, MAIN_SCENARIOS, runScenarios, startLab, type Lab } from '../fixtures/logs/produce';
import { correlateAll } from '../../client/src/diagnosis/logs/correlate';
import { groupRequests, parseNginxErrorLog, requestPath } from '../../client/src/diagnosis/logs/nginx-error';
import { parsePhpFpmLog } from '../../client/src/diagnosis/logs/php-fpm-log';
import { compileLogFormat, summarizeAccess } from '../../client/src/diagnosis/logs/access-log';

const missing = labMissing();
const PATHS = ['/ok.php', '/s/closed', '/s/socket-missing', '/s/socket-stale', '/s/socket-denied', '/s/eagain', '/s/read-timeout', '/segv.php', '/s/terminate', '/s/too-big-header', '/s/nxdomain', '/s/tls-plain', '/stderr.php'];

test('real nginx + php-fpm: the signatures of a few 502s, classified', { skip: missing ?? false, timeout: 120_000 }, async (t) => {
  const lab: Lab = await startLab();
  t.after(async () => {
    await lab.stop();
    fs.rmSync(lab.dir, { recursive: true, force: true });
  });
  const scenarios = PATHS.map((p) => MAIN_SCENARIOS.find((s) => s.path === p)!);
  const statuses = await runScenarios(lab, scenarios);
  await new Promise((r) => setTimeout(r, 300)); // PHP-FPM writes the child's exit on its next loop turn

  const log = parseNginxErrorLog(fs.readFileSync(lab.logs['nginx-main.error.log'], 'latin1'));
  assert.equal(log.unparsed, 0, log.unparsedSamples.join(' | '));
  const groups = groupRequests(log.entries);
  for (const s of scenarios) {
    const found = new Set(groups.filter((g) => requestPath(g.request) === s.path).flatMap((g) => g.signatures));
    for (const want of s.expect) {
      if (s.needsTls && !fs.existsSync(`${lab.dir}/tls/cert.pem`)) continue;
      assert.ok(want.split('|').some((w) => found.has(w as never)), `${s.path}: want ${want}, nginx wrote ${[...found].join(', ') || 'nothing'}`);
    }
  }
  const byPath = new Map(statuses.map((r) => [r.path, r.statuses]));
  assert.deepEqual(byPath.get('/ok.php'), [200]);
  assert.deepEqual(byPath.get('/s/closed'), [502]);
  assert.deepEqual(byPath.get('/s/read-timeout'), [504]);

  const fpm = parsePhpFpmLog(fs.readFileSync(lab.logs['php-fpm-main.log'], 'latin1'));
  assert.equal(fpm.unparsed, 0, fpm.unparsedSamples.join(' | '));
  assert.ok(fpm.events.some((e) => e.kind === 'execution-timeout' && e.request === 'GET /s/terminate?s=4'));
  assert.ok(fpm.events.some((e) => e.kind === 'child-signal' && e.signal === 11));

  // The lab runs with TZ=Asia/Kolkata: nginx and FPM both write +0530 wall clocks.
  const ids = correlateAll({ nginx: log.entries, fpm: fpm.events, clock: { offsetMin: 330 } }).map((e) => e.id);
  assert.ok(ids.includes('terminate-timeout-with-closed'), ids.join(', '));
  assert.ok(ids.includes('crash-with-closed'), ids.join(', '));

  const access = compileLogFormat('combined');
  if ('error' in access) throw new Error(access.error);
  const sum = summarizeAccess(access.parse(fs.readFileSync(lab.logs['access-combined.log'], 'latin1')).entries);
  const expected502 = statuses.flatMap((r) => r.statuses).filter((s) => s === 502).length;
  assert.equal(sum.s502, expected502);
  assert.equal(sum.s504, 1);
});
