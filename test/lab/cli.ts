import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reportSchema, type Report } from '../../shared/model/report';

export const CLI = path.join(__dirname, '..', '..', 'out', 'cli', 'origin-doctor.cjs');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** setpriv's arguments that run a command as `nobody`: no root, no capabilities, no groups. */
export const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const BUILTIN = new Set(builtinModules);

/**
 * Packages the bundle loads at run time (esbuild leaves them external), with what they load in turn. Install-time
 * helpers (prebuild-install) and build leftovers are left out.
 */
const RUNTIME_PACKAGES = ['better-sqlite3', 'bindings', 'file-uri-to-path'];
const BUILD_LEFTOVERS = /[\\/](deps|src|obj|obj\.target|\.deps|test_extension\.node|sqlite3\.a)$/;

/**
 * A copy of the built CLI and the packages it loads, in a fresh directory under the system temp dir that every
 * user can read: `nobody` cannot read the checkout when it sits in a directory other users cannot enter (a clone
 * under /root, or in `mktemp -d`), so an unprivileged run must not load anything from there. One per run (a few
 * MB, milliseconds to copy); the caller removes the directory when the run ends.
 */
export function cliForNobody(bundle = CLI): string {
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run node scripts/build-cli.mjs first`);
  const external = [...readFileSync(bundle, 'utf8').matchAll(/require\("([^".][^"]*)"\)/g)]
    .map((m) => m[1]!)
    .filter((m) => !m.startsWith('node:') && !BUILTIN.has(m.split('/')[0]!));
  const missing = external.filter((m) => !RUNTIME_PACKAGES.includes(m));
  if (missing.length)
    throw new Error(`the CLI bundle loads ${missing.join(', ')}: add it to RUNTIME_PACKAGES`);
  const dir = mkdtempSync(path.join(tmpdir(), 'od-nobody-'));
  // Every directory above the copy must be enterable by others, or nobody still cannot reach it.
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d))
    if ((statSync(d).mode & 0o001) === 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${d} cannot be entered by other users: point TMPDIR at a directory they can enter`);
    }
  chmodSync(dir, 0o755);
  for (const suffix of ['', '.map'])
    if (existsSync(bundle + suffix)) cpSync(bundle + suffix, path.join(dir, `origin-doctor.cjs${suffix}`));
  for (const name of RUNTIME_PACKAGES) {
    // Resolved the way the bundle in the checkout resolves it, symlinked node_modules included.
    const pkg = path.dirname(createRequire(bundle).resolve(`${name}/package.json`));
    cpSync(pkg, path.join(dir, 'node_modules', name), {
      recursive: true,
      dereference: true,
      filter: (src) => !BUILD_LEFTOVERS.test(src),
    });
  }
  return path.join(dir, 'origin-doctor.cjs');
}

/**
 * Runs the built CLI (or `bundle`) — inside a namespace when one is given, as `nobody` when asked (from a copy
 * nobody can read, see cliForNobody) — and collects its output.
 */
export function runCli(
  args: string[],
  opts: { ns?: string; env?: NodeJS.ProcessEnv; asNobody?: boolean; bundle?: string } = {},
): Promise<CliRun> {
  const cli = opts.asNobody ? cliForNobody(opts.bundle) : (opts.bundle ?? CLI);
  const node = [...(opts.asNobody ? AS_NOBODY : []), process.execPath, cli, ...args];
  const [file, argv] = opts.ns ? ['ip', ['netns', 'exec', opts.ns, ...node]] : [node[0]!, node.slice(1)];
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(file, argv as string[], {
      env: { ...process.env, ...opts.env },
      // The checkout may be closed to nobody: start where the copy is.
      ...(opts.asNobody ? { cwd: path.dirname(cli) } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const done = (): void => {
      if (opts.asNobody) rmSync(path.dirname(cli), { recursive: true, force: true });
    };
    child.on('error', (e) => {
      done();
      reject(e);
    });
    child.on('close', (code) => {
      done();
      resolve({ code, stdout, stderr, ms: Date.now() - start });
    });
  });
}

/** Runs `diagnose … --json -` and returns the schema-checked report with the run. */
export async function diagnose(args: string[], ns?: string): Promise<CliRun & { report: Report }> {
  const run = await runCli(['diagnose', ...args, '--json', '-'], ns ? { ns } : {});
  let doc: unknown;
  try {
    doc = JSON.parse(run.stdout);
  } catch {
    throw new Error(`diagnose printed no JSON (exit ${run.code}): ${run.stderr}`);
  }
  return { ...run, report: reportSchema.parse(doc) };
}

/** The finding ids reported for one target, sorted. */
export function idsFor(report: Report, target: string): string[] {
  // A loopback or lab connect is slow only when the test machine is overloaded (seen at load 20 on 2 cores): no
  // test here is about latency, so that one finding is left out of the sets the tests compare.
  return report.findings
    .filter((f) => f.target === target && f.id !== 'tcp.high_latency')
    .map((f) => f.id)
    .sort();
}

/** Cause ids for one target, most likely first by that target's own confidence. */
export function causesFor(report: Report, target: string): string[] {
  return report.causes
    .filter((c) => c.targetConfidence[target] !== undefined)
    .sort((a, b) => b.targetConfidence[target]! - a.targetConfidence[target]!)
    .map((c) => c.id);
}
