import { X509Certificate } from 'node:crypto';
import { PROVIDER_CA_LIMITS } from '../../shared/model/report';
import { parseCidr, quoteInput } from '../../shared/net/validate';
import { decodeText } from '../../shared/text/decode';
import { readBounded } from '../adapters/bounded-read';
import { UsageError } from './args';

const MAX_CA_FILE = 1024 * 1024;
const PEM_BEGIN = '-----BEGIN CERTIFICATE-----';
const PEM_END = '-----END CERTIFICATE-----';

/**
 * Reads a text file a person gave (a pasted page, a config), at most 1 MiB, or says why it cannot. Decoded as it
 * was saved: UTF-16 from PowerShell 5.1, GBK from a Chinese cmd.exe, UTF-8 with or without a BOM.
 */
export function readTextFile(
  file: string,
  option: string,
  maxBytes = MAX_CA_FILE,
  tooBigKey = 'input.file_too_big',
): string {
  return decodeText(readCapped(file, option, maxBytes, tooBigKey)).text;
}

/** The bytes of a file, at most `maxBytes` counted as read (a FIFO or /dev/zero has no honest size), or why not. */
function readCapped(file: string, option: string, maxBytes: number, tooBigKey: string): Buffer {
  let r;
  try {
    r = readBounded(file, maxBytes);
  } catch (e) {
    throw new UsageError({
      key: 'input.file_unreadable',
      params: { file: quoteInput(file), reason: (e as NodeJS.ErrnoException).code ?? 'error', option },
    });
  }
  if (r.kind === 'too-big')
    throw new UsageError({
      key: tooBigKey,
      params: { file: quoteInput(file), option, max: Math.round(maxBytes / 1024 / 1024) },
    });
  return r.bytes;
}

/** The PEM certificate blocks in a text, in order. */
export function splitPemBlocks(text: string): string[] {
  // indexOf from BEGIN to the next END, never a lazy regex: with many BEGIN lines and no END, a regex rescans the
  // rest of the text from each BEGIN (quadratic).
  const blocks: string[] = [];
  for (let at = text.indexOf(PEM_BEGIN); at !== -1;) {
    const end = text.indexOf(PEM_END, at + PEM_BEGIN.length + 1);
    if (end === -1) break; // no END after this BEGIN: none after a later BEGIN either
    blocks.push(text.slice(at, end + PEM_END.length));
    at = text.indexOf(PEM_BEGIN, end + PEM_END.length);
  }
  return blocks;
}

/**
 * Reads `--ca` files (extra CAs this machine trusts) or `--provider-ca` files (the CA(s) the provider trusts for
 * origin certificates): PEM certificates only, each one parsed, so a wrong file is refused with its name; each
 * file's name and certificates are kept so the session stores them and a re-test reuses them.
 */
export function readCaFiles(
  files: readonly string[],
  option: '--ca' | '--provider-ca' = '--ca',
): { name: string; pems: string[] }[] {
  if (files.length > PROVIDER_CA_LIMITS.files)
    throw new UsageError({ key: 'input.too_many', params: { option, max: PROVIDER_CA_LIMITS.files } });
  return files.map((file) => {
    const pems = readCaFile(file, option);
    if (pems.length > PROVIDER_CA_LIMITS.certs)
      throw new UsageError({
        key: 'input.ca_too_many_certs',
        params: { file: quoteInput(file), option, max: PROVIDER_CA_LIMITS.certs },
      });
    return { name: file, pems };
  });
}

/** One CA file's PEM certificates, each parsed; `option` names the option in an error. */
function readCaFile(file: string, option: string): string[] {
  const text = readCapped(file, option, MAX_CA_FILE, 'input.ca_too_big').toString('utf8');
  const blocks = splitPemBlocks(text);
  if (blocks.length === 0)
    throw new UsageError({ key: 'input.ca_not_pem', params: { file: quoteInput(file), option } });
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new UsageError({ key: 'input.ca_not_pem', params: { file: quoteInput(file), option } });
    }
  }
  return blocks;
}

/**
 * A ranges file (`--ranges-file`): one CIDR per line, `#` comments and blank lines allowed, as providers publish
 * them. A line that is not a CIDR is refused with its number.
 */
export function readRangesFile(file: string, option = '--ranges-file'): string[] {
  const text = readTextFile(file, option);
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.replace(/#.*$/, '').trim();
    if (l === '') return;
    const r = parseCidr(l);
    if (!r.ok)
      throw new UsageError({
        key: 'input.ranges_file_line',
        params: { file: quoteInput(file), line: i + 1, value: quoteInput(l), option },
      });
    out.push(r.value);
  });
  if (out.length === 0)
    throw new UsageError({
      key: 'input.ranges_file_empty',
      params: { file: quoteInput(file), option },
    });
  return [...new Set(out)];
}
