// Line iteration shared by the log parsers: one pass with indexOf, no split() of the whole text,
// "\r\n" tolerated, lines longer than MAX_LINE cut (the parsers then see a truncated line).

/** Longest line a parser looks at. nginx writes at most 2048 bytes per message (NGX_MAX_ERROR_STR). */
export const MAX_LINE = 16_384;

/**
 * Calls f(line, lineNumber, cut) for each line; lineNumber is 1-based, cut tells the line was
 * longer than MAX_LINE. A final line without "\n" counts; an empty text has no lines.
 * Returns the number of characters looked at (for the linearity tests).
 */
export function forEachLine(text: string, f: (line: string, no: number, cut: boolean) => void): number {
  let start = 0;
  let no = 0;
  const n = text.length;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    no++;
    const cut = stop - start > MAX_LINE;
    f(text.slice(start, cut ? start + MAX_LINE : stop), no, cut);
    start = end + 1;
  }
  return n;
}
