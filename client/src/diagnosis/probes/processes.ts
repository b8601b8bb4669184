// `ps`: the users nginx's workers and PHP-FPM's pools run as, and whether they run at all.

import type { Probe } from './probe';

export interface Proc {
  pid: number;
  ppid: number;
  user: string;
  group: string;
  args: string;
}

export interface Processes {
  all: Proc[];
  /** `-c FILE` and `-p DIR` of the nginx master, when it was started with them. */
  nginxConf?: string;
  nginxPrefix?: string;
  /** The php-fpm masters' config files: "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)". */
  fpmConfs: string[];
  nginxMaster?: Proc;
  nginxWorkers: Proc[];
  fpmMasters: Proc[];
  /** pool name -> worker processes */
  fpmPools: Map<string, Proc[]>;
}

export const processes: Probe<void, Processes> = {
  id: 'processes',
  title: 'processes (ps)',
  command: () => ({ script: 'ps -eo pid=,ppid=,user=,group=,args=' }),
  parse(r) {
    const all: Proc[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
      if (m) all.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3], group: m[4], args: m[5] });
    }
    const fpmPools = new Map<string, Proc[]>();
    for (const p of all) {
      const pool = /^php-fpm[^:]*: pool (\S+)/.exec(p.args)?.[1];
      if (pool) fpmPools.set(pool, [...(fpmPools.get(pool) ?? []), p]);
    }
    const master = all.find((p) => /^nginx: master process/.test(p.args));
    const arg = (flag: string): string | undefined => (master ? new RegExp(`\\s${flag}\\s+(\\S+)`).exec(master.args)?.[1] : undefined);
    return {
      all,
      nginxConf: arg('-c'),
      nginxPrefix: arg('-p'),
      fpmConfs: [...new Set(all.flatMap((p) => /^php-fpm[^:]*: master process \((\/[^)]+)\)/.exec(p.args)?.[1] ?? []))],
      nginxMaster: master,
      nginxWorkers: all.filter((p) => /^nginx: worker process/.test(p.args)),
      fpmMasters: all.filter((p) => /^php-fpm[^:]*: master process/.test(p.args)),
      fpmPools,
    };
  },
};
