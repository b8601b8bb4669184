// `nginx -V`: version, built-in paths (conf, error log, access log) and the default user.

import type { Probe } from './probe';

export interface NginxBuild {
  version?: string;
  confPath?: string;
  prefix?: string;
  errorLogPath?: string;
  httpLogPath?: string;
  user?: string;
  group?: string;
  configure: string;
}

export const nginxVersion: Probe<void, NginxBuild> = {
  id: 'nginx-version',
  title: 'nginx -V',
  command: () => ({ script: 'nginx -V 2>&1' }),
  parse(r) {
    const out = r.stdout;
    const arg = (name: string): string | undefined => new RegExp(`--${name}=(\\S+)`).exec(out)?.[1];
    return {
      version: /nginx\/(\d+\.\d+\.\d+)/.exec(out)?.[1],
      confPath: arg('conf-path'),
      prefix: arg('prefix'),
      errorLogPath: arg('error-log-path'),
      httpLogPath: arg('http-log-path'),
      user: arg('user'),
      group: arg('group'),
      configure: /configure arguments: (.*)/.exec(out)?.[1] ?? '',
    };
  },
};
