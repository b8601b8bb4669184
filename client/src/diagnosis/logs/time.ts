// Log timestamps and the host's clock. nginx's error log, PHP-FPM's log and `dmesg -T` write the
// host's local wall-clock time without a zone; the access log ($time_local, $time_iso8601) and
// journald's short-iso carry an offset; plain dmesg counts seconds since boot. Every parser keeps
// what the line said (LogTime); toUtcMs() turns it into one timeline given the host's clock
// (`date +%z` and, for dmesg, the boot time from /proc/uptime).

export interface LogTime {
  /** The wall-clock fields as written, read as if they were UTC (Date.UTC(...)). */
  wallMs: number;
  /** The offset the line itself carried, in minutes east of UTC ($time_local, ISO 8601). */
  offsetMin?: number;
  /** dmesg's seconds since boot, when that is all the line had. */
  monoSec?: number;
  /** The year was not in the line (syslog "Nov 24 16:29:59"): wallMs uses the clock's year. */
  yearGuessed?: boolean;
}

export interface HostClock {
  /** The host's UTC offset in minutes (`date +%z`: +0530 -> 330). Local times are read with it. */
  offsetMin: number;
  /** When the host booted, in UTC ms (now - /proc/uptime), for dmesg's monotonic seconds. */
  bootUtcMs?: number;
  /** The year for syslog lines without one (default: the current UTC year). */
  year?: number;
}

export const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** "+0530", "+05:30", "-0700", "Z", "UTC" -> minutes east of UTC; undefined when not an offset. */
export function parseOffset(s: string): number | undefined {
  const t = s.trim();
  if (t === 'Z' || t === 'UTC' || t === 'GMT') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (!m) return undefined;
  const h = Number(m[2]);
  const min = Number(m[3]);
  if (h > 14 || min > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

/** Date.UTC with range checks: undefined for month 13, hour 25 and the like. */
export function wallMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number | undefined {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  return Number.isFinite(t) ? t : undefined;
}

/** Fraction digits ("123456") as milliseconds. */
export function fractionMs(frac: string | undefined): number {
  return frac ? Math.floor(Number('0.' + frac) * 1000) : 0;
}

/** The line's time on the UTC timeline, or undefined when it cannot be placed. */
export function toUtcMs(t: LogTime | undefined, clock?: HostClock): number | undefined {
  if (!t) return undefined;
  if (t.monoSec !== undefined && t.wallMs === 0) {
    return clock?.bootUtcMs === undefined ? undefined : clock.bootUtcMs + Math.round(t.monoSec * 1000);
  }
  if (t.offsetMin !== undefined) return t.wallMs - t.offsetMin * 60_000;
  if (!clock) return undefined;
  let wall = t.wallMs;
  if (t.yearGuessed && clock.year !== undefined) {
    const d = new Date(wall);
    wall = Date.UTC(clock.year, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
  }
  return wall - clock.offsetMin * 60_000;
}

/** ISO 8601 in UTC when the time can be placed, else the wall clock without a zone. */
export function formatTime(t: LogTime | undefined, clock?: HostClock): string | undefined {
  if (!t) return undefined;
  const utc = toUtcMs(t, clock);
  if (utc !== undefined) return new Date(utc).toISOString();
  if (t.monoSec !== undefined && t.wallMs === 0) return `+${t.monoSec.toFixed(6)}s after boot`;
  return new Date(t.wallMs).toISOString().replace('Z', '');
}
