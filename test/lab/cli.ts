import { spawn } from 'node:child_process';
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
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

/**
 * Runs the built CLI — inside a namespace when one is given, as `nobody` when asked — and collects its output.
 */
export function runCli(
  args: string[],
  opts: { ns?: string; env?: NodeJS.ProcessEnv; asNobody?: boolean } = {},
): Promise<CliRun> {
  const node = [...(opts.asNobody ? AS_NOBODY : []), process.execPath, CLI, ...args];
  const [file, argv] = opts.ns ? ['ip', ['netns', 'exec', opts.ns, ...node]] : [node[0]!, node.slice(1)];
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(file, argv as string[], {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - start }));
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
  return report.findings
    .filter((f) => f.target === target)
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
