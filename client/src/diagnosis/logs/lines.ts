// Line iteration shared by the log parsers: one pass with indexOf, no split() of the whole text,
// "\r\n" tolerated, NUL padding before a line skipped, lines longer than MAX_LINE cut (the parsers
// then see a truncated line).

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
    // NUL bytes before a line are a hole, not text: a log truncated under a writer (copytruncate)
    // or a sparse file, whose first real line follows megabytes of zeros without a newline.
    let from = start;
    while (from < stop && text.charCodeAt(from) === 0) from++;
    const cut = stop - from > MAX_LINE;
    f(text.slice(from, cut ? from + MAX_LINE : stop), no, cut);
    start = end + 1;
  }
  return n;
}
