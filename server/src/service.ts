// The language service: open documents over the file system, the nginx project per settings,
// and the model each feature works on. No LSP connection here (server.ts owns it).

import * as path from 'node:path';
import { URI } from 'vscode-uri';
import type { ParseResult, Problem } from './nginx/ast';
import { checkFile, type FileResult } from './nginx/check';
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

export class NginxService {
  readonly overlay: OverlayFileSource;
  private readonly projects = new Map<string, NginxProject>();
  private workspaceRoots: string[] = [];

  constructor(base: FileSource = new NodeFileSource()) {
    this.overlay = new OverlayFileSource(base);
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

  /** A file path for any URI: real for file:, a stable virtual path otherwise (untitled, remote). */
  fileFor(uri: string): string {
    return uriToPath(uri) ?? path.join('/__ngx502_virtual__', encodeURIComponent(uri));
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
    const result: FileResult = checkFile(project, file, {
      configRoot: settings.nginx.configRoot || undefined,
      workspaceRoot: this.workspaceRootFor(file),
    });
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

  /** Problems for a document, also when it cannot be parsed (binary, too large). */
  problems(uri: string, settings: Settings): Problem[] {
    const file = this.fileFor(uri);
    const project = this.projectFor(settings);
    return checkFile(project, file, { configRoot: settings.nginx.configRoot || undefined, workspaceRoot: this.workspaceRootFor(file) }).problems;
  }
}
