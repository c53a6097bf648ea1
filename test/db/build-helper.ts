import path from 'node:path';
import { build } from 'esbuild';

/** Bundles a helper script for a child process into out/test (next to node_modules, so native modules resolve). */
export async function bundleHelper(entry: string, name: string): Promise<string> {
  const outfile = path.join(__dirname, '..', '..', 'out', 'test', `${name}.cjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['better-sqlite3'],
    logLevel: 'warning',
  });
  return outfile;
}
