// Document outline: the block structure (http, server, location, upstream, map, ...) with
// readable names, plus `include` directives as file symbols.

import { SymbolKind, type DocumentSymbol } from 'vscode-languageserver';
import type { Directive, Node } from '../nginx/ast';
import type { DocumentModel } from '../service';
import { toRange } from './hover';

const KIND: Record<string, SymbolKind> = {
  http: SymbolKind.Namespace,
  stream: SymbolKind.Namespace,
  mail: SymbolKind.Namespace,
  events: SymbolKind.Event,
  server: SymbolKind.Class,
  location: SymbolKind.Method,
  limit_except: SymbolKind.Method,
  upstream: SymbolKind.Interface,
  map: SymbolKind.Variable,
  geo: SymbolKind.Variable,
  split_clients: SymbolKind.Variable,
  if: SymbolKind.Boolean,
  types: SymbolKind.Struct,
  include: SymbolKind.File,
};

function words(d: Directive): string {
  return d.args.map((a) => a.value).join(' ');
}

function childArgs(d: Directive, name: string): string[] {
  return (d.block?.children ?? []).flatMap((c) => (c.kind === 'directive' && c.name === name ? c.args.map((a) => a.value) : []));
}

function symbolName(d: Directive): { name: string; detail?: string } {
  const args = words(d);
  switch (d.name) {
    case 'server': {
      if (!d.block) return { name: `server ${args}`.trim() };
      const names = childArgs(d, 'server_name');
      const listen = childArgs(d, 'listen');
      if (names.length > 0) return { name: names.join(' '), detail: listen.length > 0 ? `server · listen ${listen.join(' ')}` : 'server' };
      if (listen.length > 0) return { name: listen.join(' '), detail: 'server' };
      return { name: 'server' };
    }
    case 'location':
      return { name: args || 'location', detail: 'location' };
    case 'upstream':
    case 'map':
    case 'geo':
    case 'split_clients':
    case 'if':
    case 'include':
    case 'limit_except':
      return { name: `${d.name} ${args}`.trim() };
    default:
      return { name: args ? `${d.name} ${args}` : d.name };
  }
}

export function documentSymbols(m: DocumentModel): DocumentSymbol[] {
  const rec = (list: readonly Node[], depth: number): DocumentSymbol[] => {
    const out: DocumentSymbol[] = [];
    for (const n of list) {
      if (n.kind !== 'directive' || n.name === '') continue;
      if (!n.block && n.name !== 'include') continue;
      const { name, detail } = symbolName(n);
      const sym: DocumentSymbol = {
        name: name.length > 200 ? name.slice(0, 199) + '…' : name || n.name,
        kind: KIND[n.name] ?? SymbolKind.Object,
        range: toRange(n.span),
        selectionRange: toRange(n.nameSpan),
      };
      if (detail) sym.detail = detail;
      if (n.block && !n.block.raw && n.block.children.length > 0 && depth < 100) {
        const children = rec(n.block.children, depth + 1);
        if (children.length > 0) sym.children = children;
      }
      out.push(sym);
    }
    return out;
  };
  return rec(m.parse.nodes, 0);
}
