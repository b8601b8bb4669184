// What the runner tells the suite (environment variables of the code-server process, which the
// extension host inherits), and waiting helpers that wait on events, never on a fixed sleep.

import * as vscode from 'vscode';
import type { Nginx502Api } from '../../../client/src/commands/api';

/** The lab host as the runner started it. */
export interface LabInfo {
  /** The ssh config alias of the lab host (HOME/.ssh/config of the code-server process). */
  target: string;
  /** nginx's port on 127.0.0.1. */
  port: number;
  /** The site's folder and files on the host. */
  dir: string;
  nginxConf: string;
  errorLog: string;
  accessLog: string;
}

export function lab(): LabInfo {
  const raw = process.env.NGX502_E2E_LAB;
  if (!raw) throw new Error('NGX502_E2E_LAB is not set: run the suite through test/e2e/run.ts');
  return JSON.parse(raw) as LabInfo;
}

export const EXTENSION_ID = 'nginx-502-doctor.nginx-502-doctor';

export async function api(): Promise<Nginx502Api> {
  const ext = vscode.extensions.getExtension<Nginx502Api>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** Resolves with the first event that passes `pred`; rejects after `ms` saying what it waited for. */
export function nextEvent<T>(event: vscode.Event<T>, pred: (e: T) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const sub = event((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

/** Resolves once `check` returns a value, re-checked whenever `event` fires; rejects after `ms`. */
export function when<T>(event: vscode.Event<unknown>, check: () => T | undefined, ms: number, what: string): Promise<T> {
  const now = check();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const sub = event(() => {
      const v = check();
      if (v === undefined) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(v);
    });
  });
}
