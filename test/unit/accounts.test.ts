// The host-accounts probe's parser and what it changes: a socket group nginx's user belongs to
// only as a supplementary member is a permission the name-only check cannot see.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accounts } from '../../client/src/diagnosis/probes/accounts';
import { canConnect } from '../../server/src/rules/fastcgi-socket-permission';
import type { Pool } from '../../server/src/site/pools';

const getent = [
  'P:www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin',
  'G:www-data:x:33:',
  'P:nginx:x:101:101:nginx:/nonexistent:/bin/false',
  'G:nginx:x:101:',
  'G:phpsock:x:990:nginx,deploy',
  'A:root:x:0:',
  'A:phpsock:x:990:nginx,deploy',
].join('\n');

const run = { stdout: getent, stderr: '', code: 0, signal: null, timedOut: false, truncated: false, durationMs: 1 };

test('getent output becomes users with their primary group and groups with members', () => {
  const a = accounts.parse(run, ['nginx', 'www-data', 'phpsock']);
  assert.deepEqual(a.users.get('nginx'), { uid: 101, gid: 101, group: 'nginx' });
  assert.deepEqual(a.groups.get('phpsock'), { gid: 990, members: ['nginx', 'deploy'] });
  assert.equal(a.users.get('www-data')?.group, 'www-data');
});

test('a supplementary group grants the socket only when the host accounts are known', () => {
  const span = { start: { offset: 0, line: 0, character: 0 }, end: { offset: 0, line: 0, character: 0 } };
  const v = (value: string) => ({ value, file: '/etc/php/8.2/fpm/pool.d/www.conf', span, lineSpan: span });
  const pool: Pool = {
    name: 'www',
    file: '/etc/php/8.2/fpm/pool.d/www.conf',
    headerSpan: span,
    insertAt: span,
    values: new Map([
      ['listen', v('/run/php/app.sock')],
      ['listen.owner', v('www-data')],
      ['listen.group', v('phpsock')],
      ['listen.mode', v('0660')],
    ]),
  };
  const nginxUser = { user: 'nginx', group: 'nginx', defaulted: false };
  assert.equal(canConnect(pool, nginxUser).ok, false, 'by names alone: nginx is not in phpsock');
  assert.equal(canConnect(pool, nginxUser, accounts.parse(run, [])).ok, true, 'the host says nginx is a member of phpsock');
});
