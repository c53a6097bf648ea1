// Builds better-sqlite3's addon for Electron's ABI into out/native/, next to the app, and never touches the Node
// build in node_modules that the CLI and the tests load (STYLE rule 7; TOOLCHAIN: rebuilding in place breaks
// them). The app loads this copy through better-sqlite3's `nativeBinding` option. Run by `npm start` and
// `npm run dist`; it needs the internet once (a prebuilt binary from GitHub, else Electron's headers to compile).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const outDir = path.join(root, 'out', 'native');
const target = path.join(outDir, 'better_sqlite3.node');
const stampFile = path.join(outDir, 'stamp.json');

let electronVersion;
try {
  electronVersion = require('electron/package.json').version;
} catch {
  console.error('electron-native: the electron package is not installed (npm install), nothing to build.');
  process.exit(1);
}
const sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = JSON.parse(readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')).version;
const stamp = {
  electron: electronVersion,
  betterSqlite3: sqliteVersion,
  platform: process.platform,
  arch: process.arch,
};

if (existsSync(target) && existsSync(stampFile)) {
  const old = JSON.parse(readFileSync(stampFile, 'utf8'));
  if (JSON.stringify(old) === JSON.stringify(stamp)) process.exit(0);
}

// Work on a copy of the package: its build/ is the Electron one, the original's stays the Node one.
const work = path.join(root, 'out', 'native-build', 'better-sqlite3');
rmSync(work, { recursive: true, force: true });
mkdirSync(path.dirname(work), { recursive: true });
cpSync(sqliteDir, work, { recursive: true, filter: (src) => !src.startsWith(path.join(sqliteDir, 'build')) });

const run = (file, args) =>
  execFileSync(file, args, {
    cwd: work,
    stdio: 'inherit',
    env: { ...process.env, npm_config_runtime: 'electron' },
  });
const node = process.execPath;
let built = false;
try {
  const prebuild = require.resolve('prebuild-install/bin.js', { paths: [sqliteDir] });
  run(node, [prebuild, '--runtime=electron', `--target=${electronVersion}`, `--arch=${process.arch}`]);
  built = existsSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'));
} catch {
  console.error('electron-native: no prebuilt binary for this Electron; compiling against its headers.');
}
if (!built) {
  const gyp = process.env.npm_config_node_gyp;
  if (!gyp) {
    rmSync(path.dirname(work), { recursive: true, force: true });
    console.error(
      'electron-native: node-gyp not found (run this through npm: npm start). The app opens, but its history ' +
        'stays unavailable until this succeeds.',
    );
    process.exit(0);
  }
  try {
    run(node, [
      gyp,
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      `--arch=${process.arch}`,
      '--dist-url=https://electronjs.org/headers',
    ]);
  } catch {
    rmSync(path.dirname(work), { recursive: true, force: true });
    console.error(
      'electron-native: could not build better-sqlite3 for Electron (offline?). The app opens, but its history ' +
        'stays unavailable until this succeeds; the CLI and the tests are unaffected.',
    );
    // The app still opens: it says in its History tab that the history cannot be opened, and why.
    process.exit(0);
  }
}
mkdirSync(outDir, { recursive: true });
cpSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), target);
writeFileSync(stampFile, JSON.stringify(stamp));
rmSync(path.dirname(work), { recursive: true, force: true });
console.log(
  `electron-native: better-sqlite3 ${sqliteVersion} built for Electron ${electronVersion} → ${path.relative(root, target)}`,
);
