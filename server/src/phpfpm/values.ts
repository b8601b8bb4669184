// php-fpm's value parsers (fpm_conf_set_* in php-src sapi/fpm/fpm/fpm_conf.c), reproduced with
// their C arithmetic: integers go through atoi() into a C int (so 99999999999 becomes
// 1215752191 and 3000000000 a negative number), times multiply in C ints. The error texts are
// php-fpm's own, as `php-fpm -t` prints them after "unable to parse value for entry 'KEY': ".

import { atoi } from './ini';
import type { FpmParser } from './keys';

export type Parsed =
  | { ok: true; value: string | number | boolean; /** Set when C int arithmetic changed the number written. */ wrapped?: { written: string; effective: number } }
  | { ok: false; message: string };

const INT_RE = /^-?[0-9]*$/;

function wrapInfo(text: string, effective: number): { written: string; effective: number } | undefined {
  const m = /^\s*[-+]?0*([0-9]+)/.exec(text);
  if (!m) return undefined;
  const written = (text.trim().startsWith('-') ? '-' : '') + m[1];
  return written !== String(effective) && !/^-?0+$/.test(written) ? { written, effective } : undefined;
}

/** fpm_conf_set_integer: an optional leading '-' and digits only ("" reads as 0). */
export function parseInteger(text: string): Parsed {
  if (!INT_RE.test(text)) return { ok: false, message: 'is not a valid number (greater or equal than zero)' };
  const value = atoi(text);
  return { ok: true, value, wrapped: wrapInfo(text, value) };
}

/** fpm_conf_set_time: a number with an optional s/m/h/d suffix, in seconds. */
export function parseTime(text: string): Parsed {
  if (text.length === 0) return { ok: false, message: 'invalid time value' };
  const suffix = text[text.length - 1];
  const body = text.slice(0, -1);
  let value: number;
  let digits = body;
  switch (suffix) {
    case 'm': value = Math.imul(60, atoi(body)); break;
    case 'h': value = Math.imul(3600, atoi(body)); break;
    case 'd': value = Math.imul(86400, atoi(body)); break;
    case 's': value = atoi(body); break;
    default:
      if (suffix < '0' || suffix > '9') return { ok: false, message: 'unknown suffix used in time value' };
      value = atoi(text);
      digits = text;
  }
  const mult = suffix === 'm' ? 60 : suffix === 'h' ? 3600 : suffix === 'd' ? 86400 : 1;
  const n = /^\s*-?[0-9]+/.exec(digits);
  const exact = n ? Number(n[0]) * mult : value;
  const wrapped = n && exact !== value ? { written: text, effective: value } : undefined;
  return { ok: true, value, wrapped };
}

/** fpm_conf_set_boolean as in PHP 8.2: the INI value must be one of these exact strings. */
export function parseBoolean(text: string): Parsed {
  if (text === '1' || text === 'yes' || text === 'on' || text === 'true') return { ok: true, value: true };
  if (text === '' || text === '0' || text === 'no' || text === 'off' || text === 'false' || text === 'none') return { ok: true, value: false };
  return { ok: false, message: 'invalid boolean value' };
}

const LOG_LEVELS: Record<string, string> = { debug: 'debug', notice: 'notice', warning: 'warning', warn: 'warning', error: 'error', alert: 'alert' };

export function parseLogLevel(text: string): Parsed {
  const v = LOG_LEVELS[text.toLowerCase()];
  return v ? { ok: true, value: v } : { ok: false, message: "invalid value for 'log_level'" };
}

const FACILITIES = new Set(['auth', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news', 'syslog', 'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7']);

export function parseSyslogFacility(text: string): Parsed {
  return FACILITIES.has(text.toLowerCase()) ? { ok: true, value: text.toLowerCase() } : { ok: false, message: 'invalid value' };
}

export function parseRlimitCore(text: string): Parsed {
  if (text.toLowerCase() === 'unlimited') return { ok: true, value: -1 };
  const r = parseInteger(text);
  if (!r.ok) return r;
  if ((r.value as number) < 0) return { ok: false, message: "must be greater than zero or 'unlimited'" };
  return r;
}

export function parsePm(text: string): Parsed {
  const v = text.toLowerCase();
  if (v === 'static' || v === 'dynamic' || v === 'ondemand') return { ok: true, value: v };
  return { ok: false, message: 'invalid process manager (static, dynamic or ondemand)' };
}

export function parseValue(parser: FpmParser, text: string): Parsed {
  switch (parser) {
    case 'integer': return parseInteger(text);
    case 'time': return parseTime(text);
    case 'boolean': return parseBoolean(text);
    case 'log_level': return parseLogLevel(text);
    case 'syslog_facility': return parseSyslogFacility(text);
    case 'rlimit_core': return parseRlimitCore(text);
    case 'pm': return parsePm(text);
    default: return { ok: true, value: text };
  }
}

/** Seconds as people write them: 90 → "90s", 3600 → "1h". */
export function formatSeconds(s: number): string {
  if (s !== 0 && s % 86400 === 0) return `${s / 86400}d`;
  if (s !== 0 && s % 3600 === 0) return `${s / 3600}h`;
  if (s !== 0 && s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/**
 * A php.ini size ("128M", "1G", "-1"): PHP 8.2's zend_ini_parse_quantity accepts an integer
 * (decimal, 0x, 0o, 0b) with an optional k/m/g suffix; anything else only warns at run time and
 * is read as its leading number.
 */
export function isPhpSize(text: string): boolean {
  return /^\s*[-+]?(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)\s*[kKmMgG]?\s*$/.test(text);
}

/** Whether a listen.mode is an octal mode (strtoul(..., 8) reads it whole). */
export function isOctalMode(text: string): boolean {
  return /^0?[0-7]{3,4}$/.test(text.trim());
}

/** An IPv4 or IPv6 address as listen.allowed_clients takes it. */
export function isIpAddress(text: string): boolean {
  const t = text.trim();
  if (/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(t)) return true;
  return /^[0-9a-fA-F:]+(%\w+)?$/.test(t) && t.includes(':') && (t.match(/::/g)?.length ?? 0) <= 1;
}
