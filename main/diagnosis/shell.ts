import { parseIpLiteral, quoteInput } from '../../shared/net/validate';
import type { FixDraft } from './types';

/**
 * The one place fix and check commands get their values. Every value that reaches a command came from somewhere
 * we do not control (a rule file, an origin bundle, an imported session), and a person will paste the command
 * into a root shell: `iptables` accepts a chain named `f2b-x;touch${IFS}/tmp/PWNED` and prints it back. So each
 * value is either checked against what it must be (an address, a CIDR, a port, a name in the tool's character
 * set, none starting with `-` so it cannot pass for an option) or quoted for the target language; a value that
 * is neither leaves the command out, and the step says which value could not be used.
 */

/** What a value must be to go into a command unquoted. */
export type SafeKind = 'address' | 'cidr' | 'port' | 'number' | 'domain' | 'name' | 'scheme';

/** Thrown by a checker while a command is built; `guardStep` turns it into a "value could not be used" step. */
export class UnsafeValueError extends Error {
  constructor(
    readonly kind: SafeKind,
    readonly value: string,
  ) {
    super(`unsafe ${kind} in a command: ${quoteInput(value)}`);
    this.name = 'UnsafeValueError';
  }
}

/** The tool's own placeholders, written where a value is missing; they are meant to be replaced by hand. */
export const PLACEHOLDERS: ReadonlySet<string> = new Set([
  '<CDN_RANGE>',
  '<DOMAIN>',
  '<GATEWAY>',
  '<INTERFACE>',
  '<JAIL>',
  '<DEFAULT_GATEWAY>',
  '<SECURITY_GROUP_ID>',
]);

// Interface, chain, jail and profile names: what iptables (29 chars of [!-~] minus a few), ip link, fail2ban
// and systemd accept in practice, minus everything a shell, PowerShell or cmd treats specially.
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,63}$/;
const DOMAIN_RE =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

const isAddress = (v: string): boolean => /^[0-9A-Fa-f:.]+$/.test(v) && parseIpLiteral(v).ok;

function isCidr(v: string): boolean {
  const [addr, prefix, extra] = v.split('/');
  if (extra !== undefined || addr === undefined || !isAddress(addr)) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (addr.includes(':') ? 128 : 32);
}

const CHECKS: Record<SafeKind, (v: string) => boolean> = {
  address: isAddress,
  cidr: isCidr,
  port: (v) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 65535,
  number: (v) => /^\d{1,12}$/.test(v),
  domain: (v) => DOMAIN_RE.test(v),
  name: (v) => NAME_RE.test(v),
  scheme: (v) => v === 'http' || v === 'https',
};

/** The value itself when it is a `kind` (or one of our placeholders); throws `UnsafeValueError` otherwise. */
export function safe(kind: SafeKind, value: string | number): string {
  const text = String(value);
  if (typeof value === 'string' && PLACEHOLDERS.has(text)) return text;
  if (!CHECKS[kind](text)) throw new UnsafeValueError(kind, text);
  return text;
}

/** Each value checked as a `kind`. */
export const safeAll = (kind: SafeKind, values: readonly (string | number)[]): string[] =>
  values.map((v) => safe(kind, v));

/** True when the value passes the `kind` check (for callers that choose another path rather than fail). */
export const isSafe = (kind: SafeKind, value: string | number): boolean => CHECKS[kind](String(value));

/** Rejects control characters, which no quoting makes readable or reliably pastable. */
function printable(kind: SafeKind, v: string): string {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(v)) throw new UnsafeValueError(kind, v);
  return v;
}

/** A POSIX sh word: single quotes, each `'` written as `'\''`. */
export const shQuote = (v: string): string => `'${printable('name', v).replace(/'/g, `'\\''`)}'`;

/**
 * A PowerShell verbatim string: single quotes, each quote doubled. PowerShell also takes the typographic
 * single quotes (U+2018–U+201B) as quote characters, so those are doubled too.
 */
export const psQuote = (v: string): string =>
  `'${printable('name', v).replace(/['\u2018-\u201b]/g, (q) => q + q)}'`;

/** A Terraform (HCL) string: JSON escapes, plus `${` and `%{`, which HCL would interpolate, written as `$${` / `%%{`. */
export const hclString = (v: string): string =>
  JSON.stringify(printable('name', v)).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');

/**
 * A YAML double-quoted string (JSON escapes are valid YAML). Ansible runs Jinja on every string, so a value with
 * `{{`, `{%` or `{#` is refused rather than quoted: there is no escape that survives both layers readably.
 */
export function yamlString(v: string): string {
  if (/\{[{%#]/.test(v)) throw new UnsafeValueError('name', v);
  return JSON.stringify(printable('name', v));
}

/** A fix or check step whose command is built lazily, so a value that fails its check can replace it. */
export interface StepSpec {
  readonly key: string;
  readonly env?: string;
  readonly params?: FixDraft['params'];
  readonly command: () => string;
}

/**
 * Builds the step's command. When a value in it fails its check, the step keeps its key and environment but
 * carries no command, and a `fix.unsafe_<kind>` step before it names the value (quoted, control characters made
 * visible, length capped) so the person checks it by hand instead of pasting it.
 */
export function guardStep(spec: StepSpec): FixDraft[] {
  const base: FixDraft = {
    key: spec.key,
    ...(spec.env !== undefined ? { env: spec.env } : {}),
    ...(spec.params !== undefined ? { params: spec.params } : {}),
  };
  try {
    return [{ ...base, command: spec.command() }];
  } catch (e) {
    if (!(e instanceof UnsafeValueError)) throw e;
    return [{ key: `fix.unsafe_${e.kind}`, params: { value: quoteInput(e.value) } }, base];
  }
}
