// Evidence objects: what the ranking shows for a cause. A few raw lines, capped and made safe to
// print (control characters escaped: a log line must not drive the terminal).

import { formatTime, toUtcMs, type HostClock, type LogTime } from './time';

export type LogSource = 'nginx-error' | 'nginx-access' | 'php-fpm' | 'php-fpm-slowlog' | 'kernel';

export interface LogEvidence {
  /** Where the lines came from; a correlation lists every source it joined. */
  source: LogSource | 'correlation';
  /** The signature, event kind or correlation id (stable, e.g. "eagain", "fpm-max-children-near-eagain"). */
  id: string;
  summary: string;
  count: number;
  /** At most MAX_SAMPLES raw lines, each at most MAX_SAMPLE_CHARS, control characters as \xHH. */
  samples: string[];
  /** ISO 8601 (UTC when the host clock was known, else the log's wall clock without a zone). */
  firstSeen?: string;
  lastSeen?: string;
  /** The sources a correlation joined. */
  sources?: LogSource[];
}

export const MAX_SAMPLES = 3;
export const MAX_SAMPLE_CHARS = 400;

/** A raw line made safe for a terminal or a webview's textContent, and capped. */
export function sampleLine(raw: string, max = MAX_SAMPLE_CHARS): string {
  const s = raw.length > max ? raw.slice(0, max) : raw;
  const safe = s.replace(/[\x00-\x08\x0b-\x1f\x7f\u0080-\u009f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
  return raw.length > max ? safe + '…' : safe;
}

/** Accumulates matching lines into one evidence object. */
export class EvidenceBuilder {
  private count = 0;
  private readonly samples: string[] = [];
  private first?: { utc?: number; t: LogTime };
  private last?: { utc?: number; t: LogTime };

  constructor(
    private readonly source: LogEvidence['source'],
    private readonly id: string,
    private readonly clock?: HostClock,
  ) {}

  add(raw: string, time?: LogTime): void {
    this.count++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(sampleLine(raw));
    if (!time) return;
    const utc = toUtcMs(time, this.clock);
    const key = (x: { utc?: number; t: LogTime }) => x.utc ?? x.t.wallMs;
    const cur = { utc, t: time };
    if (!this.first || key(cur) < key(this.first)) this.first = cur;
    if (!this.last || key(cur) >= key(this.last)) this.last = cur;
  }

  get size(): number {
    return this.count;
  }

  build(summary: string, sources?: LogSource[]): LogEvidence {
    const e: LogEvidence = { source: this.source, id: this.id, summary, count: this.count, samples: [...this.samples] };
    if (this.first) e.firstSeen = formatTime(this.first.t, this.clock);
    if (this.last) e.lastSeen = formatTime(this.last.t, this.clock);
    if (sources) e.sources = sources;
    return e;
  }
}
