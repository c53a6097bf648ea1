/**
 * Text files as they are really saved, decoded the same way by every reader that takes a file (rule files,
 * `origin-check --from` outputs, the customer's error page), in the CLI and in the renderer alike.
 *
 * What support staff receive: UTF-8 with or without a BOM (Linux, PowerShell 7, Notepad since 2019), UTF-16LE
 * with a BOM (Windows PowerShell 5.1's `>` and `Out-File`), UTF-16LE without one (some copy tools), and the ANSI
 * code page of a Chinese Windows, GBK / CP936 (`netsh … > rules.txt` in cmd.exe). WHATWG's `gbk` decoder is
 * GB18030's, so it reads CP936 and its superset; Node's full-ICU build and Chromium both ship it.
 */

export type TextEncodingName = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'gbk';

export interface DecodedText {
  readonly text: string;
  readonly encoding: TextEncodingName;
}

/**
 * UTF-16 without a BOM: text of this kind is mostly ASCII, so one byte of each pair is zero. Asks for most pairs
 * (3 in 4) to have the zero on the same side and almost none on the other, so a binary file or UTF-8 with a stray
 * NUL is not taken for it.
 */
function utf16Side(bytes: Uint8Array): 'le' | 'be' | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let oddZero = 0;
  let evenZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZero++;
    if (bytes[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero >= pairs * 0.75 && evenZero <= pairs * 0.05) return 'le';
  if (evenZero >= pairs * 0.75 && oddZero <= pairs * 0.05) return 'be';
  return null;
}

/** Decodes a file's bytes: BOM first, then UTF-16 without BOM, then strict UTF-8, else GBK. */
export function decodeText(bytes: Uint8Array): DecodedText {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: new TextDecoder('utf-8').decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be' };
  const side = utf16Side(bytes);
  if (side) return { text: new TextDecoder(`utf-16${side}`).decode(bytes), encoding: `utf-16${side}` };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // Not UTF-8: the ANSI code page of the Windows the file came from, GBK for the Chinese Windows we serve.
    return { text: new TextDecoder('gbk').decode(bytes), encoding: 'gbk' };
  }
}
