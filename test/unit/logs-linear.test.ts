// Every log parser stays linear: 8x the input costs at most ~8x the counted work on pathological
// shapes, and a 50 MB input is read to the last line (lines and entries counted, never timed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileLogFormatDirective, type AccessLogParser } from '../../client/src/diagnosis/logs/access-log';
import { parseKernelLog } from '../../client/src/diagnosis/logs/kernel-log';
import { parseNginxErrorLog } from '../../client/src/diagnosis/logs/nginx-error';
import { parsePhpFpmLog, parsePhpFpmSlowlog } from '../../client/src/diagnosis/logs/php-fpm-log';

const FIX = path.resolve(__dirname, '..', 'fixtures', 'logs');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'latin1');
const timing = compileLogFormatDirective(['$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time uct="$upstream_connect_time" us=$upstream_status ua="$upstream_addr" host=$host']) as AccessLogParser;
const json = compileLogFormatDirective(['escape=json', '{"t":"$time_iso8601","r":"$request","s":$status,"ua":"$http_user_agent","us":"$upstream_status"}']) as AccessLogParser;

const parsers: Record<string, (t: string) => { work: number; lines: number }> = {
  nginx: parseNginxErrorLog,
  fpm: parsePhpFpmLog,
  slowlog: parsePhpFpmSlowlog,
  kernel: (t) => parseKernelLog(t),
  access: (t) => timing.parse(t),
  accessJson: (t) => json.parse(t),
};

const NG = '2026/11/24 16:29:32 [error] 1#1: *1 ';
const shapes: Record<string, (n: number) => string> = {
  'many ", client: " in one line': (n) => NG + 'x'.repeat(10) + ', client: 1.1.1.1, server: a'.repeat(n) + '\n',
  'many lines full of trailer look-alikes': (n) => (NG + 'FastCGI sent in stderr: "' + '", client: 1, server: a, request: "'.repeat(40) + ' while reading response header from upstream, client: 1.1.1.1, server: , request: "' + '"'.repeat(100) + '\n').repeat(n),
  'quotes everywhere': (n) => (NG + 'm, client: 1.1.1.1, server: x, request: "' + '", x'.repeat(200) + '\n').repeat(n),
  'unclosed stderr with continuation lines': (n) => (NG + 'FastCGI sent in stderr: "a\n' + '#0 frame\n'.repeat(100)).repeat(n),
  'one huge line': (n) => '(1: x)'.repeat(n * 200),
  'errno look-alikes': (n) => (NG + '(1: a) (2: b) ((3: c) '.repeat(200) + '\n').repeat(n),
  'real nginx lines': (n) => read('nginx-main.error.log').repeat(Math.max(1, n / 20)),
  'access lines with the literal missing': (n) => ('1.1.1.1 - - [24/Nov/2026:11:30:00 +0000] "GET / HTTP/1.1" 200 1 "-" "' + 'a '.repeat(300) + '\n').repeat(n),
  'json with backslashes': (n) => ('{"t":"2026-11-24T11:30:00+00:00","r":"GET / HTTP/1.1","s":502,"ua":"' + '\\\\\\"'.repeat(300) + '","us":"502, 502"}\n').repeat(n),
  'fpm and kernel lines': (n) => (read('php-fpm-main.log') + read('dmesg.log') + read('kernel-handwritten.log')).repeat(Math.max(1, n / 20)),
  'avc with many pairs': (n) => ('type=AVC msg=audit(1.1:1): avc:  denied  { x } for ' + 'k="v v" '.repeat(500) + '\n').repeat(n),
  'slowlog frames': (n) => ('[24-Nov-2026 16:29:38]  [pool www] pid 1\nscript_filename = /x\n' + '[0x00007f000f813150] f() /x:1\n'.repeat(200) + '\n').repeat(n),
  'binary': (n) => Array.from({ length: n * 2000 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join(''),
};

test('8x the input is at most ~8x the work, for every parser and shape', () => {
  const ratios: string[] = [];
  for (const [shape, gen] of Object.entries(shapes)) {
    const small = gen(40);
    const big = gen(320);
    for (const [name, parse] of Object.entries(parsers)) {
      const a = parse(small).work;
      const b = parse(big).work;
      const ratio = b / a;
      assert.ok(ratio < 9, `${name} on "${shape}": 8x the input took ${ratio.toFixed(1)}x the work`);
      if (name === 'nginx') ratios.push(`${shape}: x${ratio.toFixed(2)}`);
    }
  }
  console.log('nginx, 8x input -> work: ' + ratios.join(', '));
});

test('a 50 MB input of each kind is read to the last line', () => {
  const MB50 = 50 * 1024 * 1024;
  const build = (unit: string) => {
    const copies = Math.ceil(MB50 / unit.length);
    return { text: unit.repeat(copies), copies };
  };
  const garbage = '\u0000\u0001garbage \uFFFD line\n';

  const ngUnit = read('nginx-main.error.log') + garbage;
  const ngOne = parseNginxErrorLog(ngUnit);
  const ng = build(ngUnit);
  const r = parseNginxErrorLog(ng.text);
  assert.equal(r.lines, ngOne.lines * ng.copies);
  assert.equal(r.entries.length, ngOne.entries.length * ng.copies);
  assert.equal(r.unparsed, ngOne.unparsed * ng.copies);
  assert.ok(r.entries.filter((e) => e.signature === 'eagain').length >= 3 * ng.copies);

  const acUnit = read('access-timing.log') + garbage;
  const ac = build(acUnit);
  const ra = timing.parse(ac.text);
  assert.equal(ra.lines, timing.parse(acUnit).lines * ac.copies);
  assert.equal(ra.unparsed, ac.copies);

  const fpUnit = read('php-fpm-main.log') + garbage;
  const fp = build(fpUnit);
  const rf = parsePhpFpmLog(fp.text);
  assert.equal(rf.events.length, parsePhpFpmLog(fpUnit).events.length * fp.copies);
  assert.equal(rf.unparsed, fp.copies);

  const kUnit = read('dmesg.log') + read('kernel-handwritten.log') + garbage;
  const k = build(kUnit);
  const rk = parseKernelLog(k.text, { year: 2024 });
  assert.equal(rk.lines, parseKernelLog(kUnit, { year: 2024 }).lines * k.copies);
  assert.equal(rk.events.length, parseKernelLog(kUnit, { year: 2024 }).events.length * k.copies);
});
