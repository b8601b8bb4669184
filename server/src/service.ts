// The language service: open documents over the file system, the nginx project per settings,
// and the model each feature works on. No LSP connection here (server.ts owns it).

import * as path from 'node:path';
import { URI } from 'vscode-uri';
import type { ParseResult, Problem } from './nginx/ast';
import { checkFile, type FileResult, type SiteInput } from './nginx/check';
import type { Pool } from './site/pools';
import { classify, discover } from './discover';
import { checkPoolFiles } from './phpfpm/check';
import { mergeRuleProblems, siteProblems } from './site/site';
import { MAX_PROBLEMS_PER_FILE } from './nginx/project';
import { knowledge, type BodyCtx, type Knowledge } from './nginx/directives';
import { NodeFileSource, OverlayFileSource, type FileSource } from './nginx/files';
import { NginxProject, type Tree } from './nginx/project';
import type { Settings } from './settings';

export interface DocumentModel {
  uri: string;
  file: string;
  text: string;
  parse: ParseResult;
  /** Contexts the file's top level is read in (from its includers, or inferred). */
  contexts: BodyCtx[];
  tree: Tree;
  orphan: boolean;
  knowledge: Knowledge;
  project: NginxProject;
  problems: Problem[];
}

export function uriToPath(uri: string): string | undefined {
  try {
    const u = URI.parse(uri);
    return u.scheme === 'file' ? u.fsPath : undefined;
  } catch {
    return undefined;
  }
}

/** Loads PHP-FPM pools from pool files (the php-fpm engine); none until one is set. */
export type PoolLoader = (files: readonly string[], fs: FileSource) => Pool[];

export class NginxService {
  readonly overlay: OverlayFileSource;
  private readonly projects = new Map<string, NginxProject>();
  private workspaceRoots: string[] = [];
  /** PHP-FPM pool files known in the workspace (and from settings), re-read on each check. */
  private poolFiles = new Set<string>();
  /** nginx main configs found in the workspace, for linking a pool file back to nginx. */
  private nginxMains = new Set<string>();
  private scanned = false;
  poolLoader: PoolLoader = () => [];
  log: (m: string) => void = () => undefined;

  /** The disk, when the service reads it itself (not in tests that inject a source). */
  readonly disk?: NodeFileSource;

  constructor(base?: FileSource) {
    // Re-checks come at every keystroke: trust the disk for a moment, file events invalidate.
    if (!base) this.disk = new NodeFileSource({ trustMs: 1500 });
    this.overlay = new OverlayFileSource(base ?? this.disk!);
  }

  setWorkspaceRoots(roots: string[]): void {
    this.workspaceRoots = roots.map((r) => path.resolve(r));
  }

  workspaceRootFor(file: string): string | undefined {
    let best: string | undefined;
    for (const r of this.workspaceRoots) {
      if ((file === r || file.startsWith(r + path.sep)) && (!best || r.length > best.length)) best = r;
    }
    return best;
  }

  /** The URI of a file path: the inverse of fileFor. */
  uriFor(file: string): string {
    const prefix = '/__ngx502_virtual__/';
    if (file.startsWith(prefix)) return decodeURIComponent(file.slice(prefix.length));
    return URI.file(file).toString();
  }

  /** A file path for any URI: real for file:, a stable virtual path otherwise (untitled, remote). */
  fileFor(uri: string): string {
    return uriToPath(uri) ?? path.join('/__ngx502_virtual__', encodeURIComponent(uri));
  }

  /**
   * Finds the PHP-FPM pool files of the workspace folders and of the `poolPaths` globs, so
   * nginx files can be linked to pools nobody has opened.
   */
  scanPools(poolPaths: readonly string[]): void {
    this.scanned = true;
    const files = new Set<string>();
    const mains = new Set<string>();
    if (this.workspaceRoots.length > 0) {
      for (const f of discover(this.workspaceRoots, 20000).files) {
        if (f.kind === 'php-fpm') files.add(f.file);
        else if (path.basename(f.file) === 'nginx.conf') mains.add(f.file);
      }
    }
    this.nginxMains = mains;
    for (const g of poolPaths) {
      const abs = path.isAbsolute(g) ? g : path.join(this.workspaceRoots[0] ?? process.cwd(), g);
      for (const f of this.overlay.glob(abs, 5000).files) files.add(f);
    }
    for (const f of this.poolFiles) if (this.overlay.exists(f)) files.add(f);
    this.poolFiles = files;
  }

  /** Sets the PHP-FPM pool files to link with (workspace scan plus settings). */
  setPoolFiles(files: Iterable<string>): void {
    this.poolFiles = new Set(files);
  }

  addPoolFile(file: string): void {
    this.poolFiles.add(file);
  }

  pools(): Pool[] {
    try {
      return this.poolLoader([...this.poolFiles], this.overlay);
    } catch (e) {
      this.log(`loading PHP-FPM pools failed: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  site(settings: Settings): SiteInput {
    if (!this.scanned) this.scanPools(settings.phpfpm.poolPaths);
    return {
      pools: this.pools(),
      options: {
        rules: settings.rules,
        memoryBudgetMB: settings.phpfpm.memoryBudgetMB,
        workerMB: settings.phpfpm.workerMB,
        log: this.log,
        text: (file) => {
          const r = this.overlay.read(file);
          return r.ok ? r.text : undefined;
        },
      },
    };
  }

  open(uri: string, text: string, version: number): void {
    this.overlay.set(this.fileFor(uri), text, version);
  }

  close(uri: string): void {
    this.overlay.delete(this.fileFor(uri));
  }

  private projectFor(settings: Settings): NginxProject {
    const key = JSON.stringify([settings.nginx.version, settings.nginx.extraDirectives]);
    let p = this.projects.get(key);
    if (!p) {
      p = new NginxProject(this.overlay, knowledge({ version: settings.nginx.version, extraDirectives: settings.nginx.extraDirectives }));
      if (this.projects.size > 8) this.projects.clear();
      this.projects.set(key, p);
    }
    return p;
  }

  /** Checks a document in its tree and returns the model the features use. */
  model(uri: string, settings: Settings): DocumentModel | undefined {
    const file = this.fileFor(uri);
    const project = this.projectFor(settings);
    const result: FileResult = checkFile(
      project,
      file,
      { configRoot: settings.nginx.configRoot || undefined, workspaceRoot: this.workspaceRootFor(file) },
      this.site(settings),
    );
    const parsed = project.parseFile(file);
    if (!parsed.parse) {
      return undefined;
    }
    const entry = result.tree.files.get(file);
    return {
      uri,
      file,
      text: parsed.parse.text,
      parse: parsed.parse,
      contexts: entry ? [...entry.contexts] : ['http'],
      tree: result.tree,
      orphan: result.orphan,
      knowledge: project.knowledge,
      project,
      problems: result.problems,
    };
  }

  /** Whether a document is a PHP-FPM file (by language, else by name and content). */
  isPhpFpm(uri: string, languageId?: string): boolean {
    if (languageId) return languageId === 'php-fpm';
    const file = this.fileFor(uri);
    const r = this.overlay.read(file);
    return classify(file, r.ok ? r.text.slice(0, 16384) : undefined) === 'php-fpm';
  }

  /**
   * Problems of a PHP-FPM file: its own (php-fpm -t's rules) plus the site rules that land in
   * it, checked against every nginx tree of the workspace that links to its pools.
   */
  poolProblems(uri: string, settings: Settings): Problem[] {
    if (!this.scanned) this.scanPools(settings.phpfpm.poolPaths);
    const file = this.fileFor(uri);
    this.poolFiles.add(file);
    const own = checkPoolFiles([file], this.overlay).get(file) ?? [];
    const site = this.site(settings);
    const project = this.projectFor(settings);
    const extra: Problem[] = [];
    const runs = this.nginxMains.size > 0 ? [...this.nginxMains].map((m) => project.buildTree(m, path.dirname(m))) : [undefined];
    const seen = new Set<string>();
    for (const tree of runs) {
      for (const p of siteProblems(tree ? project : undefined, tree, site.pools, { ...site.options, only: 'pool' })) {
        const key = `${p.code}\0${p.span.start.offset}`;
        if (p.file !== file || seen.has(key)) continue;
        seen.add(key);
        extra.push(p);
      }
    }
    return mergeRuleProblems(own, extra).slice(0, MAX_PROBLEMS_PER_FILE);
  }

  /** Problems for a document, also when it cannot be parsed (binary, too large). */
  problems(uri: string, settings: Settings, languageId?: string): Problem[] {
    if (this.isPhpFpm(uri, languageId)) return this.poolProblems(uri, settings);
    const file = this.fileFor(uri);
    const project = this.projectFor(settings);
    return checkFile(project, file, { configRoot: settings.nginx.configRoot || undefined, workspaceRoot: this.workspaceRootFor(file) }, this.site(settings)).problems;
  }
}
