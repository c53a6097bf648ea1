import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TlsData } from '../../shared/model/probe-data';
import { makeOriginCaChain, makePki, type OriginCaChainPki } from '../lab/certs';
import { causesFor, diagnose, idsFor, runCli } from '../lab/cli';

/**
 * `--provider-ca FILE`: the CA(s) the provider trusts for origin certificates (an uploaded origin CA, a custom
 * provider's own). The origin serves leaf + intermediate under a test "origin CA" root, on 127.0.0.1 and ::1;
 * the CLI is run as built, end to end.
 */
const DOMAIN = 'www.site.test';
let ca: OriginCaChainPki;
let dir: string;
let rootFile: string;
let otherRootFile: string;
const servers: https.Server[] = [];
const urls: Record<4 | 6, string> = { 4: '', 6: '' };

async function listen(host: string): Promise<number> {
  const server = https.createServer(
    { key: ca.leaf.keyPem, cert: ca.leaf.pem + ca.intermediate.pem },
    // Like the lab's servers: a site for the domain, a 404 for a made-up Host (so no vhost finding interferes).
    (req, res) => {
      if (/\.invalid(:\d+)?$/i.test(req.headers.host ?? ''))
        res.writeHead(404).end('no site for this name\n');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    },
  );
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  ca = await makeOriginCaChain(DOMAIN);
  dir = mkdtempSync(path.join(tmpdir(), 'od-provider-ca-'));
  rootFile = path.join(dir, 'origin-ca-root.pem');
  writeFileSync(rootFile, ca.root.pem);
  otherRootFile = path.join(dir, 'other-root.pem');
  writeFileSync(otherRootFile, (await makePki('other.test')).root.pem);
  urls[4] = `https://127.0.0.1:${await listen('127.0.0.1')}`;
  urls[6] = `https://[::1]:${await listen('::1')}`;
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(family: 4 | 6, extra: string[]) {
  const url = urls[family];
  // No DNS step (www.site.test exists only here) and no trace: only loopback is ever asked.
  const r = await diagnose([
    '--endpoint',
    url,
    '--domain',
    DOMAIN,
    '--no-dns',
    '--no-trace',
    '--timeout',
    '5000',
    '--attempts',
    '1',
    ...extra,
  ]);
  const tls = r.report.probes.find((p) => p.kind === 'tls' && p.target === url)!;
  return {
    ...r,
    url,
    ids: idsFor(r.report, url),
    causes: causesFor(r.report, url),
    tls: tls.data as unknown as TlsData,
    tlsRaw: tls.raw ?? '',
  };
}

const ROOT_SUBJECT = 'C=CN, O=Origin Doctor Test, OU=Origin Doctor Test Custom Origin CA';

describe('--provider-ca: valid for the provider in strict mode, not publicly trusted', () => {
  test.each([4, 6] as const)(
    'IPv%s: leaf + intermediate under the given origin CA → two facts, no trust cause',
    async (family) => {
      const { ids, causes, tls, tlsRaw, report, url } = await run(family, [
        '--provider-ca',
        rootFile,
        '--ssl-mode',
        'strict',
      ]);
      expect(ids).toContain('tls.provider_origin_ca');
      expect(ids).toContain('tls.not_publicly_trusted');
      expect(ids).not.toContain('tls.untrusted_root');
      expect(ids).not.toContain('tls.chain_incomplete');
      expect(causes).not.toContain('cause.tls_untrusted');
      expect(causes).not.toContain('cause.tls_chain_incomplete');
      expect(tls.chain.map((c) => c.subject)).toEqual([
        `CN=${DOMAIN}`,
        'CN=Origin Doctor Test Custom Origin CA Intermediate',
      ]);
      // Which anchors were used and where the root came from, in the data, the finding and the raw evidence.
      expect(tls.providerCa).toEqual({
        provider: 'custom',
        root: ROOT_SUBJECT,
        source: { kind: 'file', file: rootFile },
        anchors: [{ kind: 'file', file: rootFile, roots: 1 }],
      });
      const found = report.findings.find((f) => f.id === 'tls.provider_origin_ca' && f.target === url)!;
      expect(found.message).toContain(rootFile);
      expect(found.message).toContain('--provider-ca');
      expect(found.message).not.toContain('custom');
      expect(tlsRaw).toContain(`provider origin CA anchors: file ${rootFile} (1)`);
      expect(report.probes.find((p) => p.kind === 'tls')!.status).toBe('ok');
      // The PEM text is stored with the session input, so a re-test judges against the same anchor.
      expect(report.session.input.providerCa).toEqual([{ name: rootFile, pems: [ca.root.pem.trim()] }]);
    },
  );

  test('near miss: without --provider-ca the same chain is an untrusted root, a trust cause', async () => {
    const { ids, causes, tls } = await run(4, ['--ssl-mode', 'strict']);
    expect(ids).toContain('tls.untrusted_root');
    expect(ids).not.toContain('tls.provider_origin_ca');
    expect(ids).not.toContain('tls.not_publicly_trusted');
    expect(causes[0]).toBe('cause.tls_untrusted');
    expect(tls.providerCa).toBeUndefined();
  });

  test('near miss: another root given as --provider-ca leaves the chain untrusted, and says none matched', async () => {
    const { ids, causes, tls, tlsRaw } = await run(6, [
      '--provider-ca',
      otherRootFile,
      '--ssl-mode',
      'strict',
    ]);
    expect(ids).toContain('tls.untrusted_root');
    expect(ids).not.toContain('tls.provider_origin_ca');
    expect(causes[0]).toBe('cause.tls_untrusted');
    expect(tls.providerCa).toMatchObject({ provider: 'custom', root: null, source: null });
    expect(tlsRaw).toContain('→ none');
  });

  test('with a preset: its shipped roots and the file are both listed; the file is the one that matched', async () => {
    const md = path.join(dir, 'report.md');
    const { ids, causes, tls, report, url } = await run(4, [
      '--provider',
      'cloudflare',
      '--provider-ca',
      rootFile,
      '--ssl-mode',
      'strict',
      '--md',
      md,
    ]);
    // The report names the anchors the run used and their source.
    const text = readFileSync(md, 'utf8').replace(/\\/g, ''); // Markdown escapes ( ) and +
    expect(text).toContain('Provider origin CA');
    expect(text).toMatch(/preset cloudflare, published \d{4}-\d{2}-\d{2} \(2 roots\)/);
    expect(text).toContain(`file ${rootFile} (1 certificates, --provider-ca)`);
    expect(ids).toEqual(expect.arrayContaining(['tls.provider_origin_ca', 'tls.not_publicly_trusted']));
    expect(causes).not.toContain('cause.tls_untrusted');
    expect(tls.providerCa!.anchors).toEqual([
      {
        kind: 'preset',
        provider: 'cloudflare',
        published: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        roots: 2,
      },
      { kind: 'file', file: rootFile, roots: 1 },
    ]);
    expect(tls.providerCa!.source).toEqual({ kind: 'file', file: rootFile });
    const message = report.findings.find(
      (f) => f.id === 'tls.provider_origin_ca' && f.target === url,
    )!.message;
    expect(message).toContain('Cloudflare');
    expect(message).toContain(rootFile);
  });

  test('a chain the person also trusts with --ca is valid for the provider and not called "not publicly trusted"', async () => {
    const { ids } = await run(4, ['--provider-ca', rootFile, '--ca', rootFile, '--ssl-mode', 'strict']);
    expect(ids).toContain('tls.provider_origin_ca');
    expect(ids).not.toContain('tls.not_publicly_trusted');
    expect(ids).not.toContain('tls.untrusted_root');
  });

  test('--ssl-mode full does not need it: the untrusted root is a warning there, not an error', async () => {
    const { report, url } = await run(4, ['--ssl-mode', 'full']);
    const f = report.findings.find((x) => x.id === 'tls.untrusted_root' && x.target === url)!;
    expect(f.severity).toBe('warn');
    expect(
      report.findings.filter((x) => x.target === url && x.layer === 'protocol' && x.severity === 'error'),
    ).toEqual([]);
  });

  test('bad input is refused in one line that names --provider-ca and the file', async () => {
    const notPem = path.join(dir, 'not-a-cert.txt');
    writeFileSync(notPem, 'hello\n');
    const a = await runCli([
      'diagnose',
      '--endpoint',
      urls[4],
      '--provider-ca',
      notPem,
      '--no-dns',
      '--no-trace',
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toContain('--provider-ca');
    expect(a.stderr).toContain('not-a-cert.txt');
    const missing = path.join(dir, 'missing.pem');
    const b = await runCli([
      'diagnose',
      '--endpoint',
      urls[4],
      '--provider-ca',
      missing,
      '--no-dns',
      '--no-trace',
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain('--provider-ca');
    expect(b.stderr).toContain('ENOENT');
    const bundle = path.join(dir, 'bundle.pem');
    writeFileSync(bundle, ca.root.pem.repeat(65));
    const d = await runCli([
      'diagnose',
      '--endpoint',
      urls[4],
      '--provider-ca',
      bundle,
      '--no-dns',
      '--no-trace',
    ]);
    expect(d.code).toBe(2);
    expect(d.stderr).toContain('more than 64 certificates');
    // Near miss: 64 certificates are accepted (the run goes on to probe; exit 0 or 1, never 2).
    writeFileSync(bundle, ca.root.pem.repeat(64));
    const e = await runCli([
      'diagnose',
      '--endpoint',
      urls[4],
      '--provider-ca',
      bundle,
      '--no-dns',
      '--no-trace',
      '--attempts',
      '1',
    ]);
    expect(e.code, e.stderr).not.toBe(2);
    const many = Array.from({ length: 9 }, () => ['--provider-ca', rootFile]).flat();
    const c = await runCli(['diagnose', '--endpoint', urls[4], ...many, '--no-dns', '--no-trace']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('--provider-ca');
  });

  test('a re-test reuses the stored anchors even after the file is gone', async () => {
    const db = path.join(dir, 'history.sqlite');
    const file = path.join(dir, 'gone-root.pem');
    writeFileSync(file, ca.root.pem);
    // No --domain: the re-test runs the stored input as it is, and without a domain it asks no resolver.
    const first = await runCli([
      'diagnose',
      '--endpoint',
      urls[4],
      '--provider-ca',
      file,
      '--ssl-mode',
      'strict',
      '--no-dns',
      '--no-trace',
      '--attempts',
      '1',
      '--db',
      db,
      '--json',
      '-',
    ]);
    const id = (JSON.parse(first.stdout) as { session: { id: string } }).session.id;
    rmSync(file);
    const again = await runCli(['retest', id, '--db', db, '--json', '-']);
    expect(again.code, again.stderr).not.toBe(2);
    const report = JSON.parse(again.stdout) as { findings: { id: string }[] };
    const ids = report.findings.map((f) => f.id);
    expect(ids).toContain('tls.provider_origin_ca');
    expect(ids).not.toContain('tls.untrusted_root');
  });

  test('--ca too: a re-test trusts the same extra CA after the file is gone, not "untrusted root"', async () => {
    const db = path.join(dir, 'history-ca.sqlite');
    const file = path.join(dir, 'gone-extra-root.pem');
    writeFileSync(file, ca.root.pem);
    const args = ['--no-dns', '--no-trace', '--attempts', '1', '--db', db, '--json', '-'];
    const first = await runCli(['diagnose', '--endpoint', urls[4], '--ca', file, ...args]);
    const parsed = JSON.parse(first.stdout) as { session: { id: string }; findings: { id: string }[] };
    expect(parsed.findings.map((f) => f.id)).not.toContain('tls.untrusted_root');
    rmSync(file);
    const again = await runCli(['retest', parsed.session.id, '--db', db, '--json', '-']);
    expect(again.code, again.stderr).not.toBe(2);
    const ids = (JSON.parse(again.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id);
    expect(ids).not.toContain('tls.untrusted_root');
    // Near miss: the same origin without the extra CA is an untrusted root.
    const bare = await runCli(['diagnose', '--endpoint', urls[4], ...args]);
    expect((JSON.parse(bare.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id)).toContain(
      'tls.untrusted_root',
    );
  });
});
