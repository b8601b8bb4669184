// Load, CPUs, memory and pressure (PSI), the host's clock and time zone.

import type { Probe } from './probe';

export interface SystemState {
  load1?: number;
  load5?: number;
  cpus?: number;
  memTotalKB?: number;
  memAvailableKB?: number;
  swapTotalKB?: number;
  swapFreeKB?: number;
  /** PSI "some avg10" per resource, in percent. */
  pressure: Partial<Record<'cpu' | 'memory' | 'io', number>>;
  /** `date +%z`, e.g. +0100: nginx's log times are local without a zone. */
  tz?: string;
  now?: number;
}

export const system: Probe<void, SystemState> = {
  id: 'system',
  title: 'load, memory, pressure, clock',
  command: () => ({
    script: [
      "echo '@@loadavg'; cat /proc/loadavg",
      "echo '@@nproc'; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN",
      "echo '@@meminfo'; grep -E '^(MemTotal|MemAvailable|SwapTotal|SwapFree):' /proc/meminfo",
      "for f in cpu memory io; do echo \"@@psi $f\"; head -1 /proc/pressure/$f 2>/dev/null; done",
      "echo '@@date'; date +%z; date +%s",
    ].join('; '),
  }),
  parse(r) {
    const sec = sections(r.stdout);
    const s: SystemState = { pressure: {} };
    const la = sec.get('loadavg')?.trim().split(/\s+/);
    if (la) [s.load1, s.load5] = [Number(la[0]), Number(la[1])];
    const n = Number(sec.get('nproc')?.trim());
    if (n > 0) s.cpus = n;
    for (const line of (sec.get('meminfo') ?? '').split('\n')) {
      const m = /^(\w+):\s+(\d+)/.exec(line);
      if (!m) continue;
      const v = Number(m[2]);
      if (m[1] === 'MemTotal') s.memTotalKB = v;
      if (m[1] === 'MemAvailable') s.memAvailableKB = v;
      if (m[1] === 'SwapTotal') s.swapTotalKB = v;
      if (m[1] === 'SwapFree') s.swapFreeKB = v;
    }
    for (const res of ['cpu', 'memory', 'io'] as const) {
      const m = /avg10=([\d.]+)/.exec(sec.get(`psi ${res}`) ?? '');
      if (m) s.pressure[res] = Number(m[1]);
    }
    const d = (sec.get('date') ?? '').trim().split('\n');
    if (/^[+-]\d{4}$/.test(d[0] ?? '')) s.tz = d[0];
    if (/^\d+$/.test(d[1] ?? '')) s.now = Number(d[1]) * 1000;
    return s;
  },
};

/** Splits `@@name` sections. */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let buf: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('@@')) {
      if (name !== undefined) out.set(name, buf.join('\n'));
      name = line.slice(2).trim();
      buf = [];
    } else buf.push(line);
  }
  if (name !== undefined) out.set(name, buf.join('\n'));
  return out;
}
