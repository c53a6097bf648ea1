// Bundles the command line (and the benchmark runner) into CommonJS files for plain Node; no Electron involved.
// Also the desktop handlers' parse worker, for when the handlers run from the sources in plain Node (the tests).
// Rebuilds only when something the bundles were made from is newer than them (or gone): `npm run diagnose` calls
// this on every run, and a full build takes a second or two. `--force` rebuilds regardless. Silent when up to date.
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const OUTPUTS = ['out/cli/origin-doctor.cjs', 'out/cli/bench.cjs', 'out/cli/parse-worker.cjs'];
/** The files the last build read (esbuild's metafile), kept beside the bundles. */
const INPUTS = 'out/cli/inputs.json';
/** What shapes a build beyond the files it bundles: the build script, the dependency set, the TypeScript config. */
const ALWAYS = [fileURLToPath(import.meta.url), 'package.json', 'package-lock.json', 'tsconfig.json'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  metafile: true,
  // Native and browser-driving modules stay in node_modules.
  external: ['better-sqlite3', 'playwright-core', 'electron'],
};

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : null);

/** Why a build is needed, or null when every output is newer than every input. */
function staleness() {
  if (process.argv.includes('--force')) return 'forced';
  const built = OUTPUTS.map(mtime);
  if (built.some((t) => t === null) || !existsSync(INPUTS)) return 'no previous build';
  const oldest = built.reduce((a, b) => Math.min(a, b), Infinity);
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return 'unreadable input list';
  }
  if (!Array.isArray(inputs)) return 'unreadable input list';
  for (const file of [...ALWAYS, ...inputs]) {
    const t = mtime(file);
    // A missing input means the sources moved on (a file deleted or renamed): rebuild and let esbuild say.
    if (t === null || t > oldest) return file;
  }
  return null;
}

if (staleness() !== null) {
  // Loaded only when needed: importing esbuild costs more than checking whether it is needed.
  const { build } = await import('esbuild');
  const started = new Date();
  const results = await Promise.all([
    build({ ...common, entryPoints: ['main/cli/index.ts'], outfile: OUTPUTS[0] }),
    build({ ...common, entryPoints: ['bench/run.ts'], outfile: OUTPUTS[1] }),
    build({ ...common, entryPoints: ['main/use-cases/parse-worker.ts'], outfile: OUTPUTS[2] }),
  ]);
  const inputs = new Set(results.flatMap((r) => Object.keys(r.metafile.inputs)));
  writeFileSync(INPUTS, JSON.stringify([...inputs].sort()));
  // Dated from the start of the build, so a source saved while esbuild ran still counts as newer next time.
  for (const out of OUTPUTS) utimesSync(out, started, started);
}
