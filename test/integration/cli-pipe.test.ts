import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { CLI } from '../lab/cli';

/** `origin-doctor … | head`: the reader goes away before the output is written (its end of the pipe is closed). */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

const rules = path.join(__dirname, '..', 'fixtures', 'policy', 'ip6tables.rules');

test('a closed pipe ends the CLI quietly, with the exit status of the run (0 here)', async () => {
  const r = await runWithClosedStdout(['--help']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

test('a closed pipe keeps a non-zero status: problems found is still 1, not a crash', async () => {
  const r = await runWithClosedStdout(['policy', '--rules', rules, '--provider', 'cloudflare']);
  expect(r.stderr).not.toMatch(/EPIPE|Unhandled|internal error/);
  expect(r.code).toBe(1);
});
