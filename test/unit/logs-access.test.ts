// The access log: log_format compiled into a parser, on the real logs of test/fixtures/logs
// (combined, an escape=json format, a format with unquoted upstream lists) and hand-written cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMBINED, compileLogFormat, compileLogFormatDirective, summarizeAccess, type AccessLogParser } from '../../client/src/diagnosis/logs/access-log';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'logs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'latin1');
const compile = (f: string, esc?: 'default' | 'json' | 'none'): AccessLogParser => {
  const p = compileLogFormat(f, esc);
  if ('error' in p) throw new Error(p.error);
  return p;
};
const directive = (args: string[]): AccessLogParser => {
  const p = compileLogFormatDirective(args);
  if ('error' in p) throw new Error(p.error);
  return p;
};

// The formats the fixtures were written with (test/fixtures/logs/produce.ts).
const DIAG = ['escape=json', '{"time":"$time_iso8601","addr":"$remote_addr","request":"$request","status":$status,"bytes":$body_bytes_sent,"referer":"$http_referer","ua":"$http_user_agent","rt":$request_time,"us":"$upstream_status","ua_addr":"$upstream_addr","urt":"$upstream_response_time"}'];
const TIMING = ['$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time uct="$upstream_connect_time" us=$upstream_status ua="$upstream_addr" host=$host'];

test('real logs in three formats agree on every count', () => {
  const combined = compile('combined').parse(read('access-combined.log'));
  const json = directive(DIAG).parse(read('access-json.log'));
  const timing = directive(TIMING).parse(read('access-timing.log'));
  for (const [name, r] of [['combined', combined], ['json', json], ['timing', timing]] as const) {
    assert.equal(r.unparsed, 0, `${name}: ${r.unparsedSamples.join(' | ')}`);
    assert.ok(r.entries.length > 70, name);
  }
  const s = [combined, json, timing].map((r) => summarizeAccess(r.entries));
  for (const k of ['total', 's502', 's503', 's504', 's5xx'] as const) assert.deepEqual(s.map((x) => x[k]), [s[0][k], s[0][k], s[0][k]], k);
  assert.ok(s[0].s502 >= 25, `502s: ${s[0].s502}`);
  assert.ok(s[0].s504 >= 3, `504s: ${s[0].s504}`);
  assert.deepEqual(s[0].minutes.map((m) => m.s502), s[1].minutes.map((m) => m.s502));
  assert.deepEqual(s[0].top502Uris, s[1].top502Uris);
  assert.equal(s[0].top502Uris[0].uri, '/s/eagain', 'the query is dropped: /s/eagain?s=1.5 counts as /s/eagain');
  // +0530 in $time_local and +05:30 in $time_iso8601 land on the same UTC minute
  assert.equal(s[0].minutes[0].minute, s[1].minutes[0].minute);
  assert.match(s[0].minutes[0].minute, /^2026-11-24T11:\d\d:00\.000Z$/);
  // the upstream lists exist only in the json and timing formats
  assert.deepEqual(s[0].top502Upstreams, []);
  assert.deepEqual(s[1].top502Upstreams, s[2].top502Upstreams);
  assert.ok(s[1].top502Upstreams.length > 0);
});

test('real values: upstream lists, escapes, empty values, request time', () => {
  const json = directive(DIAG).parse(read('access-json.log')).entries;
  const timing = directive(TIMING).parse(read('access-timing.log')).entries;
  for (const entries of [json, timing]) {
    const pair = entries.find((e) => e.uri === '/s/dead-pair' && e.upstreamStatus.length === 2)!;
    assert.deepEqual(pair.upstreamStatus, [502, 502]);
    assert.equal(pair.upstreamAddr.length, 2);
    assert.match(pair.upstreamAddr[0], /^127\.0\.0\.1:\d+$/);
    const group = entries.find((e) => e.uri === '/s/dead-pair' && e.upstreamStatus.length === 1)!;
    assert.deepEqual(group.upstreamAddr, ['dead_pair']);
    const stat = entries.find((e) => e.uri === '/static.txt')!;
    assert.deepEqual(stat.upstreamStatus, []);
    const awkward = entries.find((e) => e.uri === '/static.txt?q=%22x%22&a=1')!;
    assert.equal(awkward.vars.http_user_agent, 'Mozilla/5.0 "quoted" \\back\\ \u00fcn\u00ef');
    assert.equal(awkward.vars.http_referer, 'http://ref.example/a"b');
    const tab = entries.find((e) => e.uri === '/nope.txt')!;
    assert.equal(tab.vars.http_user_agent, 'tab\there');
    const slow = entries.find((e) => e.uri === '/s/read-timeout?s=1.6')!;
    assert.equal(slow.status, 504);
    assert.ok(slow.requestTime! >= 1 && slow.requestTime! < 2);
  }
  const unix = json.find((e) => e.uri === '/ok.php')!;
  assert.match(unix.upstreamAddr[0], /^unix:.*\/www\.sock$/);
});

test('windows in UTC; minutes split 502/503/504; entries without time', () => {
  const p = compile(COMBINED);
  const text = [
    '10.0.0.1 - - [24/Nov/2026:16:59:59 +0530] "GET /a?x=1 HTTP/1.1" 502 157 "-" "c"',
    '10.0.0.1 - - [24/Nov/2026:11:30:00 +0000] "GET /a HTTP/1.1" 502 157 "-" "c"',
    '10.0.0.1 - - [24/Nov/2026:06:30:30 -0500] "GET /b HTTP/1.1" 503 157 "-" "c"',
    '10.0.0.1 - - [24/Nov/2026:11:30:59 +0000] "GET /c HTTP/1.1" 504 157 "-" "c"',
    '10.0.0.1 - - [24/Nov/2026:11:31:00 +0000] "GET /d HTTP/1.1" 200 157 "-" "c"',
    '10.0.0.1 - - [24/Nov/2026:11:45:00 +0000] "GET /late HTTP/1.1" 502 157 "-" "c"',
    '10.0.0.1 - - [31/Nov/2026:99:00:00 +0000] "GET /bad-date HTTP/1.1" 502 157 "-" "c"',
  ].join('\n');
  const entries = p.parse(text).entries;
  assert.equal(entries.length, 7);
  const s = summarizeAccess(entries, { fromMs: Date.UTC(2026, 10, 24, 11, 29), toMs: Date.UTC(2026, 10, 24, 11, 40) });
  assert.deepEqual([s.total, s.s502, s.s503, s.s504, s.s5xx, s.untimed], [5, 2, 1, 1, 4, 1]);
  assert.deepEqual(s.minutes.map((m) => [m.minute.slice(11, 16), m.s502, m.s503, m.s504, m.total]), [['11:29', 1, 0, 0, 1], ['11:30', 1, 1, 1, 3], ['11:31', 0, 0, 0, 1]]);
  assert.deepEqual(s.top502Uris, [{ uri: '/a', count: 2 }]);
  assert.equal(s.firstSeen, '2026-11-24T11:29:59.000Z');
  const all = summarizeAccess(entries);
  assert.equal(all.total, 7);
  assert.equal(all.s502, 4);
});

test('formats: escape=json and none, ${var}, numbers back to back, msec, iso Z, compile errors', () => {
  const j = directive(['escape=json', '{"u":"$request_uri","s":$status,"m":"$msec","us":"$upstream_status","ua":"$upstream_addr"}']);
  const e = j.parseLine('{"u":"/x?a=\\"b\\"\\\\\\u0001","s":502,"m":"1764000000.250","us":"502, 504 : 200","ua":"10.0.0.1:80, 10.0.0.2:80 : unix:/run/a.sock"}')!;
  assert.equal(e.uri, '/x?a="b"\\\u0001');
  assert.deepEqual(e.upstreamStatus, [502, 504, 200]);
  assert.deepEqual(e.upstreamAddr, ['10.0.0.1:80', '10.0.0.2:80', 'unix:/run/a.sock']);
  assert.equal(e.time!.wallMs, 1764000000250);
  const none = compile('$remote_addr "${request}" $status$body_bytes_sent [$time_iso8601]', 'none');
  const n = none.parseLine('1.2.3.4 "GET /raw HTTP/1.1" 5020 [2026-11-24T11:30:00Z]')!;
  assert.deepEqual([n.vars.status, n.vars.body_bytes_sent, n.status, n.method, n.uri], ['502', '0', 502, 'GET', '/raw']);
  assert.equal(n.time!.offsetMin, 0);
  assert.ok('error' in compileLogFormat('$http_user_agent$status'), 'two free-text variables back to back cannot be split');
  assert.ok('error' in compileLogFormat('${unclosed'));
  assert.deepEqual(compile('').variables, compile('combined').variables);
});

test('garbage, binary, truncated and other formats: unparsed, never thrown', () => {
  const p = compile('combined');
  const r = p.parse([
    '\u0000\u0001\u0002',
    '2026/11/24 16:29:32 [error] 1#1: an error log line',
    '10.0.0.1 - - [24/Nov/2026:11:30:00 +0000] "GET /a HTTP/1.1" 502 157 "-"',
    '10.0.0.1 - - [24/Nov/2026:11:30:00 +0000] "GET /a HTTP/1.1" 502 157 "-" "c" extra',
    '10.0.0.1 - - [24/Nov/2026:11:30:00 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01" 400 157 "-" "-"',
    '',
  ].join('\n'));
  assert.equal(r.lines, 5);
  assert.equal(r.unparsed, 4);
  assert.equal(r.entries.length, 1);
  assert.equal(r.entries[0].status, 400);
  assert.equal(r.entries[0].method, undefined);
});
