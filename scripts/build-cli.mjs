// Bundles the command line into one CommonJS file for plain Node (no Electron involved).
import { build } from 'esbuild';

await build({
  entryPoints: ['main/cli/index.ts'],
  outfile: 'out/cli/origin-doctor.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native and browser-driving modules stay in node_modules.
  external: ['better-sqlite3', 'playwright-core', 'electron'],
});
