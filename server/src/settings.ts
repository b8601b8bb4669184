// The server's view of the `nginx502.*` settings: pulled per resource, cached as one promise
// per URI, cleared when the client says the configuration changed.

import type { Severity } from './nginx/ast';

export interface Settings {
  nginx: {
    configRoot: string;
    version: string;
    extraDirectives: string[];
  };
  phpfpm: {
    poolPaths: string[];
    memoryBudgetMB: number;
    workerMB: number;
  };
  rules: Record<string, Severity | 'off'>;
}

export const DEFAULT_SETTINGS: Settings = {
  nginx: { configRoot: '', version: '', extraDirectives: [] },
  phpfpm: { poolPaths: [], memoryBudgetMB: 2048, workerMB: 64 },
  rules: {},
};

function num(v: unknown, d: number, min: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min ? v : d;
}

const LEVELS = new Set(['off', 'error', 'warning', 'information', 'hint']);

function str(v: unknown, d: string): string {
  return typeof v === 'string' ? v : d;
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Validates whatever the client sent; wrong types fall back to defaults instead of throwing. */
export function normalizeSettings(raw: unknown): Settings {
  const r = (raw ?? {}) as { nginx?: Record<string, unknown>; phpfpm?: Record<string, unknown>; rules?: Record<string, unknown> };
  const n = r.nginx ?? {};
  const f = r.phpfpm ?? {};
  const rules: Record<string, Severity | 'off'> = {};
  if (r.rules && typeof r.rules === 'object') {
    for (const [k, v] of Object.entries(r.rules)) if (typeof v === 'string' && LEVELS.has(v)) rules[k] = v as Severity | 'off';
  }
  return {
    nginx: {
      configRoot: str(n.configRoot, ''),
      version: str(n.version, ''),
      extraDirectives: strList(n.extraDirectives),
    },
    phpfpm: {
      poolPaths: strList(f.poolPaths),
      memoryBudgetMB: num(f.memoryBudgetMB, 2048, 64),
      workerMB: num(f.workerMB, 64, 8),
    },
    rules,
  };
}

export class SettingsCache {
  private readonly cache = new Map<string, Promise<Settings>>();
  constructor(private readonly fetch: (uri: string) => Promise<unknown>) {}

  get(uri: string): Promise<Settings> {
    let p = this.cache.get(uri);
    if (!p) {
      p = this.fetch(uri).then(normalizeSettings, () => DEFAULT_SETTINGS);
      this.cache.set(uri, p);
    }
    return p;
  }

  clear(): void {
    this.cache.clear();
  }
}
