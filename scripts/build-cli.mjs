// Bundles the command line (and the benchmark runner) into CommonJS files for plain Node; no Electron involved.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // Native and browser-driving modules stay in node_modules.
  external: ['better-sqlite3', 'playwright-core', 'electron'],
};

await Promise.all([
  build({ ...common, entryPoints: ['main/cli/index.ts'], outfile: 'out/cli/origin-doctor.cjs' }),
  build({ ...common, entryPoints: ['bench/run.ts'], outfile: 'out/cli/bench.cjs' }),
]);
