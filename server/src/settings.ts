// The server's view of the `nginx502.*` settings: pulled per resource, cached as one promise
// per URI, cleared when the client says the configuration changed.

export interface Settings {
  nginx: {
    configRoot: string;
    version: string;
    extraDirectives: string[];
  };
}

export const DEFAULT_SETTINGS: Settings = {
  nginx: { configRoot: '', version: '', extraDirectives: [] },
};

function str(v: unknown, d: string): string {
  return typeof v === 'string' ? v : d;
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Validates whatever the client sent; wrong types fall back to defaults instead of throwing. */
export function normalizeSettings(raw: unknown): Settings {
  const r = (raw ?? {}) as { nginx?: Record<string, unknown> };
  const n = r.nginx ?? {};
  return {
    nginx: {
      configRoot: str(n.configRoot, ''),
      version: str(n.version, ''),
      extraDirectives: strList(n.extraDirectives),
    },
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
