// A probe is a pure pair: the command text (with every path from a config passed on stdin or
// shell-quoted, never pasted raw into the script) and the parser of its output. Probes only
// read: no probe writes on the host. Running one yields a status the report shows per probe.

import { quote } from 'shell-quote';
import type { RunResult, Transport } from '../../remote/transport';

export type ProbeStatus = 'ok' | 'not-permitted' | 'missing' | 'failed' | 'timeout';

export interface ProbeContext {
  /** Use `sudo -n` (never prompts) for probes that need root. */
  sudo: boolean;
  /** Cap for log reads, in bytes. */
  logBytes: number;
  signal?: AbortSignal;
}

export interface ProbeCommand {
  script: string;
  /** Data the script reads (paths, names, one per line): never part of the command text. */
  stdin?: string;
}

export interface Probe<I, T> {
  id: string;
  title: string;
  command(input: I, ctx: ProbeContext): ProbeCommand | undefined;
  parse(r: RunResult, input: I): T;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface ProbeOutcome<T> {
  id: string;
  status: ProbeStatus;
  durationMs: number;
  data?: T;
  /** A short reason for a status other than ok. */
  note?: string;
}

/** Shell-quotes one word (a path taken from a config or a log). */
export function shq(s: string): string {
  return quote([s]);
}

/** `sudo -n ` when sudo is enabled, else nothing: probes prefix root-only commands with it. */
export function sudoPrefix(ctx: ProbeContext): string {
  return ctx.sudo ? 'sudo -n ' : '';
}

/** A PATH that finds nginx, php-fpm, ss and sysctl for a non-root login shell. */
export const PATH_PREFIX = 'PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin:/usr/local/nginx/sbin"; export PATH; LC_ALL=C; export LC_ALL; ';

/** Lines on stdin, read safely: no word splitting beyond newlines, no glob unless wanted. */
export const READ_LINES = "while IFS= read -r line || [ -n \"$line\" ]; do";

export function classify(r: RunResult): { status: ProbeStatus; note?: string } {
  if (r.timedOut) return { status: 'timeout', note: `no answer in ${Math.round(r.durationMs / 1000)} s` };
  const err = r.stderr;
  if (r.code === 127 || /command not found|: not found\b/.test(err)) return { status: 'missing', note: firstLine(err) || 'command not found' };
  if (/a password is required|sudo: a terminal is required|is not in the sudoers|may not run sudo/.test(err)) return { status: 'not-permitted', note: 'sudo -n refused (no passwordless sudo)' };
  if (r.code !== 0 && /Permission denied|Operation not permitted/.test(err)) return { status: 'not-permitted', note: firstLine(err) };
  if (r.code === 0) return { status: 'ok' };
  return { status: 'failed', note: firstLine(err) || `exit ${r.code}` };
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim())?.trim().slice(0, 200) ?? '';
}

export async function runProbe<I, T>(t: Transport, probe: Probe<I, T>, input: I, ctx: ProbeContext): Promise<ProbeOutcome<T>> {
  const cmd = probe.command(input, ctx);
  if (!cmd) return { id: probe.id, status: 'missing', durationMs: 0, note: 'nothing to probe' };
  const t0 = Date.now();
  const r = await t.run(PATH_PREFIX + cmd.script, { timeoutMs: probe.timeoutMs ?? 10_000, maxBytes: probe.maxBytes ?? 1 << 20, stdin: cmd.stdin, signal: ctx.signal });
  const c = classify(r);
  let data: T | undefined;
  try {
    data = probe.parse(r, input);
  } catch (e) {
    return { id: probe.id, status: 'failed', durationMs: Date.now() - t0, note: `unreadable output: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { id: probe.id, status: c.status, durationMs: Date.now() - t0, data, note: c.note };
}
