import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { PROVIDER_CA_LIMITS } from '../../shared/model/report';
import { parseCidr, quoteInput } from '../../shared/net/validate';
import { UsageError } from './args';

const MAX_CA_FILE = 1024 * 1024;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads a text file a person gave (a pasted page, a config), at most 1 MiB, or says why it cannot. */
export function readTextFile(
  file: string,
  option: string,
  maxBytes = MAX_CA_FILE,
  tooBigKey = 'input.file_too_big',
): string {
  try {
    if (statSync(file).size > maxBytes)
      throw new UsageError({
        key: tooBigKey,
        params: { file: quoteInput(file), option, max: Math.round(maxBytes / 1024 / 1024) },
      });
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError({
      key: 'input.file_unreadable',
      params: { file: quoteInput(file), reason: (e as NodeJS.ErrnoException).code ?? 'error', option },
    });
  }
}

/** Reads `--ca` files: PEM certificates only, each one parsed, so a wrong file is refused with its name. */
export function readCaFiles(files: readonly string[]): string[] {
  return files.flatMap((file) => readCaFile(file, '--ca'));
}

/**
 * Reads `--provider-ca` files (the CA(s) the provider trusts for origin certificates) with the `--ca` reader and
 * limits, keeping each file's name and certificates so the session stores them and a re-test reuses them.
 */
export function readProviderCaFiles(files: readonly string[]): { name: string; pems: string[] }[] {
  const option = '--provider-ca';
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
  let text: string;
  try {
    if (statSync(file).size > MAX_CA_FILE)
      throw new UsageError({ key: 'input.ca_too_big', params: { file: quoteInput(file), option } });
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError({
      key: 'input.file_unreadable',
      params: { file: quoteInput(file), reason: (e as NodeJS.ErrnoException).code ?? 'error', option },
    });
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
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
export function readRangesFile(file: string): string[] {
  const text = readTextFile(file, '--ranges-file');
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const l = raw.replace(/#.*$/, '').trim();
    if (l === '') return;
    const r = parseCidr(l);
    if (!r.ok)
      throw new UsageError({
        key: 'input.ranges_file_line',
        params: { file: quoteInput(file), line: i + 1, value: quoteInput(l), option: '--ranges-file' },
      });
    out.push(r.value);
  });
  if (out.length === 0)
    throw new UsageError({
      key: 'input.ranges_file_empty',
      params: { file: quoteInput(file), option: '--ranges-file' },
    });
  return [...new Set(out)];
}
