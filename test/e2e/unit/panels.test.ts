// The panels' pure parts with plain node (no VS Code): the message validators both sides use,
// the log viewer's line facts and splitter, the Markdown report, the logs a diagnosis found.

import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logsOf, reportMarkdown, toDiagnosisData } from '../../../client/src/panels/diagnosisData';
import { LineSplitter, lineFacts, MAX_VIEW_LINE } from '../../../client/src/panels/logLines';
import { isDiagnosisPanelState, parseDiagnosisFromWebview, parseDiagnosisToWebview, parseLogFromWebview, parseLogToWebview, type DiagnosisData } from '../../../client/src/panels/protocol';
import type { Diagnosis } from '../../../client/src/diagnosis/diagnose';

const diagnosis: Diagnosis = {
  target: 'web1',
  durationMs: 1234,
  causes: [
    {
      id: 'upstream-refused',
      title: 'The backend refuses connections (nothing listens on its port)',
      confidence: 'high',
      score: 89,
      evidence: [{ source: 'nginx error log', summary: '6 x connect() refused', count: 6, samples: ['2025/01/01 00:00:00 [error] 1#1: *1 connect() failed (111: Connection refused) ```x```'], file: '/var/log/nginx/error.log', lastSeen: '2025-01-01T00:00:00.000Z' }],
      fixes: [{ what: 'Start the backend', file: '/etc/nginx/sites-enabled/shop', line: 12, verify: 'ss -ltn' }],
    },
  ],
  probes: [
    { id: 'log:/var/log/nginx/error.log', status: 'ok', durationMs: 3 },
    { id: 'log:/var/log/nginx/access.log', status: 'ok', durationMs: 3 },
    { id: 'log:/var/log/php8.2-fpm.log', status: 'missing', durationMs: 3, note: 'No such file' },
    { id: 'selinux', status: 'failed', durationMs: 1, note: 'getenforce: not found' },
  ],
  findings: [],
  access: { total: 10, s5xx: 6, s502: 6, s503: 0, s504: 0, minutes: [{ minute: '2025-01-01T00:00:00.000Z', total: 10, s5xx: 6, s502: 6, s503: 0, s504: 0 }], top502Uris: [{ uri: '/x', count: 6 }], top502Upstreams: [], untimed: 0 },
  host: { nginxVersion: '1.22.1', configSource: 'nginx -T', configFiles: 3, fpmFiles: 0 },
  notes: ['a note'],
};

describe('panel protocol', () => {
  test('the extension accepts only well-formed webview messages', () => {
    assert.deepEqual(parseDiagnosisFromWebview({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseDiagnosisFromWebview({ type: 'openFile', file: '/etc/nginx/nginx.conf', line: 3 }), { type: 'openFile', file: '/etc/nginx/nginx.conf', line: 3 });
    for (const bad of [
      null,
      'ready',
      { type: 'nope' },
      { type: 'openFile', file: 'relative/path' },
      { type: 'openFile', file: '/etc/x\n/etc/y' },
      { type: 'openFile', file: '/etc/x', line: 0 },
      { type: 'openFile', file: '/etc/x', line: '3' },
      { type: 'openLogViewer', path: 42 },
      { type: 'rendered', status: 'weird', causes: 1 },
    ]) {
      assert.equal(parseDiagnosisFromWebview(bad), undefined, JSON.stringify(bad));
    }
    assert.deepEqual(parseLogFromWebview({ type: 'ack', lastSeq: 3, total: 3, shown: 2 }), { type: 'ack', lastSeq: 3, total: 3, shown: 2 });
    assert.equal(parseLogFromWebview({ type: 'open', path: '../etc/passwd' }), undefined);
    assert.equal(parseLogFromWebview({ type: 'ack', lastSeq: Number.NaN, total: 0, shown: 0 }), undefined);
  });

  test('the webview accepts the states the extension sends and nothing else', () => {
    const data = toDiagnosisData(diagnosis);
    const state = { target: 'web1', status: 'done', startedAt: 1, finishedAt: 2, diagnosis: data };
    assert.ok(isDiagnosisPanelState(JSON.parse(JSON.stringify(state))));
    assert.ok(parseDiagnosisToWebview({ type: 'state', state }));
    assert.equal(parseDiagnosisToWebview({ type: 'state', state: { ...state, status: 'exploded' } }), undefined);
    assert.equal(parseDiagnosisToWebview({ type: 'state', state: { ...state, diagnosis: { ...data, causes: [{ id: 'x' }] } } }), undefined);
    assert.ok(parseLogToWebview({ type: 'lines', lines: [{ seq: 1, text: '<script>alert(1)</script>', level: 'error', status: 502 }] }));
    assert.equal(parseLogToWebview({ type: 'lines', lines: [{ seq: 1, text: 'x', level: 'shout' }] }), undefined);
    assert.equal(parseLogToWebview({ type: 'status', state: 'live', path: 'no-slash' }), undefined);
  });
});

describe('log viewer lines', () => {
  test('a 502 signature line carries its cause; access lines their status; fpm lines their level', () => {
    const refused = lineFacts('2025/01/01 10:00:00 [error] 12#12: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:9/", host: "x"');
    assert.equal(refused.level, 'error');
    assert.equal(refused.sig, 'connect-refused');
    assert.equal(refused.status, 502);
    assert.match(refused.cause ?? '', /^upstream-refused: The backend refuses connections/);
    const notice = lineFacts('2025/01/01 10:00:00 [notice] 1#1: signal process started');
    assert.deepEqual(notice, { level: 'notice' });
    assert.deepEqual(lineFacts('127.0.0.1 - - [01/Jan/2025:10:00:00 +0000] "GET /x HTTP/1.1" 502 157 "-" "curl/8"'), { status: 502, level: 'error' });
    assert.deepEqual(lineFacts('127.0.0.1 - - [01/Jan/2025:10:00:00 +0000] "GET /x HTTP/1.1" 200 5 "-" "curl/8"'), { status: 200, level: 'info' });
    assert.deepEqual(lineFacts('[01-Jan-2025 10:00:00] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it'), { level: 'warn' });
    assert.deepEqual(lineFacts('garbage <img src=x onerror=alert(1)>'), {});
  });

  test('the splitter keeps partial lines and multi-byte characters across chunks, and cuts endless lines', () => {
    const s = new LineSplitter();
    const text = Buffer.from('één\r\ntwee\ndrie');
    assert.deepEqual([...s.push(text.subarray(0, 1)), ...s.push(text.subarray(1, 7)), ...s.push(text.subarray(7))], ['één', 'twee']);
    assert.deepEqual(s.flush(), ['drie']);
    const long = new LineSplitter().push(Buffer.from('x'.repeat(MAX_VIEW_LINE + 10) + '\n'));
    assert.equal(long.length, 1);
    assert.equal(long[0].length, MAX_VIEW_LINE + 1);
  });
});

describe('diagnosis data', () => {
  test('the logs read, with their kind', () => {
    assert.deepEqual(logsOf(diagnosis), [
      { path: '/var/log/nginx/error.log', kind: 'nginx-error' },
      { path: '/var/log/nginx/access.log', kind: 'nginx-access' },
      { path: '/var/log/php8.2-fpm.log', kind: 'php-fpm' },
    ]);
  });

  test('the Markdown report names the causes, evidence, fixes and what was not seen; fences survive backticks in samples', () => {
    const md = reportMarkdown(toDiagnosisData(diagnosis) as DiagnosisData, new Date('2025-01-01T00:00:00Z'));
    assert.match(md, /^# 502 diagnosis of `web1`/);
    assert.match(md, /## 1\. The backend refuses connections/);
    assert.match(md, /confidence \*\*high\*\* · score 89/);
    assert.match(md, /`\/etc\/nginx\/sites-enabled\/shop:12`/);
    assert.match(md, /\*\*6 × 502\*\*/);
    assert.match(md, /- `selinux`: failed \(getenforce: not found\)/);
    assert.match(md, /````\n.*```x```\n.*````/);
  });
});
