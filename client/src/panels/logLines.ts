// What the log viewer knows about one line: nginx error-log level and 502/504 signature (with
// the cause it points to), or the status of an access-log line. Pure code over the engine's
// parsers: no vscode.

import { StringDecoder } from 'node:string_decoder';
import { CAUSES, type CauseId } from '../diagnosis/causes';
import { NGINX_SIGNATURES, parseNginxErrorLog } from '../diagnosis/logs/nginx-error';
import type { LogLevel, LogLine } from './protocol';

/** Longest line kept whole; longer ones are cut (nginx itself cuts error lines at 2048 bytes). */
export const MAX_VIEW_LINE = 8192;

const ERROR_HEAD = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \[([a-z]+)\] /;
// The status after the quoted request line of the combined/common formats (and most custom ones).
const ACCESS_STATUS = /"[A-Z]+ [^"]*" (\d{3}) /;
// php-fpm: "[24-Nov-2025 10:00:00] WARNING: [pool www] ..."
const FPM_LEVEL = /^\[[^\]]+\] (ALERT|ERROR|WARNING|NOTICE|DEBUG): /;
const FPM_LEVELS: Record<string, LogLevel> = { ALERT: 'alert', ERROR: 'error', WARNING: 'warn', NOTICE: 'notice', DEBUG: 'debug' };

export type LineFacts = Omit<LogLine, 'seq' | 'text' | 'kind'>;

/** Level, status and 502 signature of one raw line (any log kind: decided by its shape). */
export function lineFacts(text: string): LineFacts {
  const head = ERROR_HEAD.exec(text);
  if (head) {
    const facts: LineFacts = { level: head[1] as LogLevel };
    const e = parseNginxErrorLog(text).entries[0];
    const sig = e?.signature;
    if (sig) {
      const info = NGINX_SIGNATURES[sig];
      if (!info.notA502 && info.status !== null && info.status >= 500) {
        facts.sig = sig;
        facts.status = info.status;
        const cause = info.causes[0] as CauseId | undefined;
        facts.cause = cause && CAUSES[cause] ? `${cause}: ${CAUSES[cause].title}. ${info.summary}` : info.summary;
      }
    }
    return facts;
  }
  const access = ACCESS_STATUS.exec(text);
  if (access) {
    const status = Number(access[1]);
    return status >= 500 ? { status, level: 'error' } : status >= 400 ? { status, level: 'warn' } : { status, level: 'info' };
  }
  const fpm = FPM_LEVEL.exec(text);
  if (fpm) return { level: FPM_LEVELS[fpm[1]] };
  return {};
}

/** Splits a byte stream into lines (UTF-8, partial lines kept across chunks, CR stripped, long lines cut). */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  /** Lines completed by this chunk. */
  push(chunk: Buffer): string[] {
    const text = this.rest + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    if (this.rest.length > MAX_VIEW_LINE * 4) {
      // A "line" that never ends (a binary file): emit it in pieces rather than hold it.
      parts.push(this.rest);
      this.rest = '';
    }
    return parts.map(clean);
  }

  /** What is left at the end of the stream (a last line without newline). */
  flush(): string[] {
    const text = this.rest + this.decoder.end();
    this.rest = '';
    return text === '' ? [] : [clean(text)];
  }
}

function clean(line: string): string {
  const s = line.endsWith('\r') ? line.slice(0, -1) : line;
  return s.length > MAX_VIEW_LINE ? s.slice(0, MAX_VIEW_LINE) + '…' : s;
}

/** How many bytes to read for the last `lines` lines (a generous average line length). */
export function bytesForLines(lines: number): number {
  return Math.min(64 * 1024 * 1024, Math.max(4096, lines * 400));
}
