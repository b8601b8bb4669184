// Folding: every block spanning lines (up to the line before its `}`), and runs of
// consecutive whole-line comments.

import { FoldingRangeKind, type FoldingRange } from 'vscode-languageserver';
import type { Comment, Node } from '../nginx/ast';
import type { DocumentModel } from '../service';

export function foldingRanges(m: DocumentModel): FoldingRange[] {
  const out: FoldingRange[] = [];
  const comments: Comment[] = [];
  const rec = (list: readonly Node[]): void => {
    for (const n of list) {
      if (n.kind === 'comment') {
        comments.push(n);
        continue;
      }
      if (n.innerComments) comments.push(...n.innerComments);
      const b = n.block;
      if (!b) continue;
      const start = b.open.start.line;
      const end = b.close ? b.close.start.line - 1 : Math.max(n.span.end.line, b.raw?.span.end.line ?? 0);
      if (end > start) out.push({ startLine: start, endLine: end });
      rec(b.children);
    }
  };
  rec(m.parse.nodes);

  // Only comments alone on their line form foldable runs.
  const text = m.text;
  const starts = m.parse.lineStarts;
  const alone = comments
    .filter((c) => text.slice(starts[c.span.start.line], c.span.start.offset).trim() === '')
    .sort((a, b) => a.span.start.offset - b.span.start.offset);
  let i = 0;
  while (i < alone.length) {
    let j = i;
    while (j + 1 < alone.length && alone[j + 1].span.start.line === alone[j].span.start.line + 1) j++;
    if (j > i) out.push({ startLine: alone[i].span.start.line, endLine: alone[j].span.start.line, kind: FoldingRangeKind.Comment });
    i = j + 1;
  }
  return out;
}
