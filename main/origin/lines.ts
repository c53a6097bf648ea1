/**
 * The lines of a pasted text that hold more than white space, without their `\n` / `\r\n` ending. A paste of
 * command output is often mostly blank (a terminal's scroll-back, a log padded with empty lines): splitting it with
 * a regex and trimming and tokenising every empty line cost each reader about 0.2 s per MiB of blank lines, and
 * `bundleFromPastes` runs up to nine readers over one text. Here blank lines are skipped by one scan of their
 * characters, without making a string for them, so a blank line costs its length and nothing more.
 */
export function contentLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let blank = true;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      // Space, tab, CR, and the other ASCII controls that trim() and \s treat as blank (VT, FF).
      if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) {
        blank = false;
        break;
      }
    }
    if (!blank)
      out.push(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end));
    start = end + 1;
  }
  return out;
}
