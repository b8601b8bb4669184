// The open-file limit an nginx worker really runs with (/proc/PID/limits).

import type { Probe } from './probe';

export interface Limits {
  pid: number;
  nofileSoft?: number;
  nofileHard?: number;
}

export const workerLimits: Probe<number, Limits> = {
  id: 'worker-limits',
  title: 'nginx worker limits (/proc/PID/limits)',
  command: (pid) => (Number.isInteger(pid) && pid > 0 ? { script: `cat /proc/${pid}/limits` } : undefined),
  parse(r, pid) {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(r.stdout);
    const n = (v: string | undefined): number | undefined => (v && /^\d+$/.test(v) ? Number(v) : undefined);
    return { pid, nofileSoft: n(m?.[1]), nofileHard: n(m?.[2]) };
  },
};
