import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analysePolicy } from '../../../main/policy/analyse';
import { detectFormat, parsePolicies } from '../../../main/policy/parse';
import type { PolicyData } from '../../../shared/model/probe-data';
import { decodeText } from '../../../shared/text/decode';
import { segmentText } from './segment-text';

/** Windows Firewall outputs in Microsoft's documented shapes, saved in Windows' encodings (see README.md). */
const dir = join(__dirname, '../../fixtures/policy/real/windows');
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, name)));
const utf8 = (name: string): string => readFileSync(join(dir, name), 'utf8');

const RANGES = ['173.245.48.0/20', '198.51.100.0/24'];

function analyse(name: string, ports = [443, 8443, 3389]): PolicyData {
  const text = decodeText(bytes(name)).text;
  const sets = parsePolicies([{ name, text, format: null }]);
  if (!sets.ok) throw new Error(JSON.stringify(sets.error));
  return {
    ...analysePolicy({ sets: sets.value, ranges: RANGES, ports, provider: null, destinations: [] }),
    elapsedMs: 0,
  };
}

/** Per range and port: each segment's outcome, deciding rule line, and for `unknown` each possible answer's. */
const verdicts = (d: PolicyData): string[] =>
  d.rows.map(
    (r) =>
      `${r.range}:${r.port} ${r.segments
        .map(
          (s) =>
            `${s.outcome}@${s.rule?.line ?? '-'}{${s.possible.map((b) => `${b.outcome}@${b.rule?.line ?? '-'}`).join(',')}}`,
        )
        .join(',')}`,
  );

describe('files as Windows saves them', () => {
  test.each([
    ['netsh-en.utf16le-nobom.txt', 'netsh-en.txt', 'utf-16le'],
    ['netsh-en-verbose.utf16le-bom.txt', 'netsh-en-verbose.txt', 'utf-16le'],
    ['netsh-en-verbose-with-profile.utf8-bom.txt', 'netsh-en-verbose-with-profile.txt', 'utf-8-bom'],
    ['netsh-zh.gbk.txt', 'netsh-zh.txt', 'gbk'],
    ['netsh-zh-verbose.utf16le-bom.txt', 'netsh-zh-verbose.txt', 'utf-16le'],
    ['netsh-zh-verbose-with-profile.gbk.txt', 'netsh-zh-verbose-with-profile.txt', 'gbk'],
    ['get-netfirewallrule.utf16le-bom.json', 'get-netfirewallrule.json', 'utf-16le'],
  ])('%s decodes to the text of %s (%s)', (encoded, plain, encoding) => {
    const d = decodeText(bytes(encoded));
    expect(d.encoding).toBe(encoding);
    expect(d.text).toBe(utf8(plain));
  });

  test('near miss: plain UTF-8 with Chinese stays UTF-8, never GBK', () => {
    expect(decodeText(bytes('netsh-zh.txt'))).toEqual({ text: utf8('netsh-zh.txt'), encoding: 'utf-8' });
  });

  test('near miss: ASCII with one NUL is not taken for UTF-16', () => {
    const b = new TextEncoder().encode('Rule Name: x\u0000\r\nEnabled: Yes\r\n');
    expect(decodeText(b).encoding).toBe('utf-8');
  });

  test.each([
    ['netsh-en.utf16le-nobom.txt', 'windows-netsh'],
    ['netsh-en-verbose.utf16le-bom.txt', 'windows-netsh'],
    ['netsh-zh.gbk.txt', 'windows-netsh'],
    ['netsh-zh-verbose-with-profile.gbk.txt', 'windows-netsh'],
    ['get-netfirewallrule.utf16le-bom.json', 'windows-json'],
  ])('%s is detected as %s once decoded', (f, format) => {
    expect(detectFormat(decodeText(bytes(f)).text)).toBe(format);
  });
});

describe('Windows Firewall: program-scoped rules and profiles', () => {
  test('English and Chinese, every encoding: the same verdicts as the UTF-8 file', () => {
    const pairs = [
      ['netsh-en.utf16le-nobom.txt', 'netsh-en.txt'],
      ['netsh-zh.gbk.txt', 'netsh-en.txt'],
      ['netsh-zh.txt', 'netsh-en.txt'],
      ['netsh-en-verbose.utf16le-bom.txt', 'netsh-en-verbose.txt'],
      ['netsh-zh-verbose.utf16le-bom.txt', 'netsh-en-verbose.txt'],
      ['netsh-zh-verbose-with-profile.gbk.txt', 'netsh-en-verbose-with-profile.txt'],
      ['netsh-en-verbose-with-profile.utf8-bom.txt', 'netsh-en-verbose-with-profile.txt'],
      ['get-netfirewallrule.utf16le-bom.json', 'get-netfirewallrule.json'],
    ];
    for (const [a, b] of pairs) {
      // Chinese files carry the same rules with the same line numbers, so the verdicts compare as they are.
      expect(verdicts(analyse(a!)), `${a} vs ${b}`).toEqual(verdicts(analyse(b!)));
    }
  });

  test('netsh without verbose: the protocol-Any rules are named, not read as opening every port', () => {
    const d = analyse('netsh-en.txt');
    const row = d.rows.find((r) => r.range === '198.51.100.0/24' && r.port === 443)!;
    // Outside the Cloudflare rule the range meets nginx's and the backup agent's protocol-Any rules (lines 16 and
    // 28), either of which may be one program's: allowed if one applies, else Windows' default block.
    expect(row.outcome).toBe('unknown');
    expect(row.segments[0]!.possible.map((b) => b.outcome).sort()).toEqual(['allow', 'drop']);
    expect(row.segments[0]!.undecided.map((u) => [u.line, u.what])).toEqual([
      [16, 'program not shown (netsh without verbose)'],
      [28, 'program not shown (netsh without verbose)'],
    ]);
    expect(d.files[0]!.notes.map((n) => n.key)).toContain('policy.note_windows_ask_verbose');
  });

  test('netsh verbose: nginx.exe is the web server (allowed, no assumption); another program is named', () => {
    const d = analyse('netsh-en-verbose-with-profile.txt');
    const at = (range: string, port: number) => d.rows.find((r) => r.range === range && r.port === port)!;
    expect(at('198.51.100.0/24', 443).segments.map((s) => [s.outcome, s.assumed])).toEqual([['allow', null]]);
    expect(d.files[0]!.notes.map((n) => n.key)).not.toContain('policy.note_windows_ask_verbose');
    // Without nginx's rule, the backup agent's protocol-Any rule is what speaks, and it is named.
    const text = utf8('netsh-en-verbose-with-profile.txt').replace(
      'C:\\nginx\\nginx.exe',
      'C:\\tools\\sync.exe',
    );
    const sets = parsePolicies([{ name: 'x.txt', text, format: null }]);
    if (!sets.ok) throw new Error('parse');
    const d2 = analysePolicy({
      sets: sets.value,
      ranges: RANGES,
      ports: [443],
      provider: null,
      destinations: [],
    });
    const seg = d2.rows[1]!.segments[0]!;
    expect(seg.outcome).toBe('unknown');
    expect(seg.possible.map((b) => b.outcome).sort()).toEqual(['allow', 'drop']);
    expect(seg.undecided.map((u) => u.what)).toEqual([
      'program C:\\tools\\sync.exe',
      'program C:\\Program Files\\Contoso\\Backup\\agent.exe',
    ]);
  });

  test('profiles: with the active profile given (Public), Private-only rules never apply', () => {
    // The two program rules made UDP so that only the port rules speak for TCP.
    const udp = (f: string): string =>
      utf8(f).replaceAll(/(Protocol|协议):( +)(Any|任何)/g, (_m, k: string, sp: string) => `${k}:${sp}UDP`);
    const run = (text: string) => {
      const sets = parsePolicies([{ name: 'p.txt', text, format: null }]);
      if (!sets.ok) throw new Error('parse');
      return analysePolicy({
        sets: sets.value,
        ranges: RANGES,
        ports: [8443],
        provider: null,
        destinations: [],
      }).rows[1]!.segments.map(segmentText);
    };
    expect(run(udp('netsh-en-verbose-with-profile.txt'))).toEqual(['drop[]']);
    expect(run(udp('netsh-zh-verbose-with-profile.txt'))).toEqual(['drop[]']);
    // Near miss: the same rules without the active profile: the Private rule may apply, and says so.
    expect(run(udp('netsh-en-verbose.txt'))).toEqual([
      'unknown{allow when profiles Private | drop(default) when not profiles Private}',
    ]);
  });

  test.each(['netsh-en-verbose.txt', 'netsh-zh-verbose.utf16le-bom.txt', 'get-netfirewallrule.json'])(
    'near miss: %s has no active profile, so the profile-bound rules are named as depending on it',
    (f) => {
      const sets = parsePolicies([{ name: f, text: decodeText(bytes(f)).text, format: null }]);
      if (!sets.ok) throw new Error('parse');
      const rules = sets.value[0]!.programs[4]!.chains.windows!.rules;
      expect(rules.map((r) => r.assumed ?? null)).toEqual([
        null,
        null,
        expect.stringMatching(/^program .*agent\.exe$/),
        expect.stringMatching(
          /^profiles (Domain,Private|域,专用|Domain, Private), program .*svchost\.exe, service termservice$/,
        ),
        expect.stringMatching(/^profiles (Private|专用)$/),
      ]);
      expect(sets.value[0]!.notes.map((n) => n.key)).toContain('policy.note_windows_profile_unknown');
    },
  );

  test('PowerShell JSON with Program: nginx.exe allowed, no assumption', () => {
    const d = analyse('get-netfirewallrule.json', [443]);
    const row = d.rows.find((r) => r.range === '198.51.100.0/24')!;
    expect(row.segments.map((s) => [s.outcome, s.assumed])).toEqual([['allow', null]]);
  });
});
