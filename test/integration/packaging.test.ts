import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * Packaging checked offline (issue #24 item 9): `electron-builder --linux dir` runs on a copy of the project with a
 * stand-in Electron distribution (no download: a fake executable carrying Electron's fuse wire), and the app.asar
 * it makes is read back. It must hold the built main, preload and renderer and the few packages the main bundle
 * loads, and none of the sources, tests, fixtures, source maps or packages only the renderer build or the CLI need;
 * the SQLite addon built for Electron must sit outside the archive where main looks for it.
 */
const root = path.resolve(__dirname, '..', '..');
const nodeModules = realpathSync(path.join(root, 'node_modules'));
/** @electron/fuses' marker: the fuse wire follows it (version 1, length, one byte per fuse: '0' off, '1' on). */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSES = ['runAsNode', 'cookieEncryption', 'nodeOptions', 'nodeCliInspect', 'asarIntegrity', 'onlyAsar'];

let scratch = '';
let unpacked = '';
let entries: AsarEntry[] = [];
let readEntry: (e: AsarEntry) => Buffer = () => Buffer.alloc(0);
let mainBundle = '';
let builderLog = '';
let seconds = 0;

interface AsarEntry {
  readonly path: string;
  readonly size: number;
  readonly unpacked: boolean;
  readonly offset: number;
}

/**
 * The file list of an asar archive, read from its header: a Chromium pickle of 4 bytes (its own size, 4) with the
 * header pickle's size, then the header pickle (payload size, string length, the JSON directory tree).
 */
function readAsar(file: string): { entries: AsarEntry[]; read: (e: AsarEntry) => Buffer } {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    readSync(fd, head, 0, 16, 0);
    const headerPickleSize = head.readUInt32LE(4);
    const jsonLength = head.readUInt32LE(12);
    const json = Buffer.alloc(jsonLength);
    readSync(fd, json, 0, jsonLength, 16);
    const tree = JSON.parse(json.toString('utf8')) as AsarDir;
    const base = 8 + headerPickleSize;
    const list: AsarEntry[] = [];
    const walk = (dir: AsarDir, prefix: string): void => {
      for (const [name, node] of Object.entries(dir.files)) {
        const p = `${prefix}/${name}`;
        if ('files' in node) walk(node, p);
        else
          list.push({
            path: p,
            size: node.size,
            unpacked: node.unpacked === true,
            offset: Number(node.offset ?? 0),
          });
      }
    };
    walk(tree, '');
    return {
      entries: list,
      read: (e) => {
        const b = Buffer.alloc(e.size);
        const f = openSync(file, 'r');
        try {
          readSync(f, b, 0, e.size, base + e.offset);
        } finally {
          closeSync(f);
        }
        return b;
      },
    };
  } finally {
    closeSync(fd);
  }
}
type AsarDir = { files: Record<string, AsarDir | { size: number; offset?: string; unpacked?: boolean }> };

/** The project as a fresh checkout would have it, plus the build outputs the dist script makes first. */
function stageProject(dir: string): void {
  const skip = new Set(['node_modules', 'out', 'dist', '.git']);
  for (const name of readdirSync(root)) {
    if (skip.has(name)) continue;
    cpSync(path.join(root, name), path.join(dir, name), { recursive: true });
  }
  symlinkSync(nodeModules, path.join(dir, 'node_modules'));
  for (const part of ['main', 'preload', 'renderer', 'cli']) {
    const from = path.join(root, 'out', part);
    if (existsSync(from)) cpSync(from, path.join(dir, 'out', part), { recursive: true });
  }
  // The stand-in for the addon scripts/electron-native.mjs builds for Electron's ABI (that needs the internet).
  mkdirSync(path.join(dir, 'out', 'native'), { recursive: true });
  cpSync(
    path.join(nodeModules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'),
    path.join(dir, 'out', 'native', 'better_sqlite3.node'),
  );
}

/** An unpacked Electron for linux-x64 as electron-builder copies it: the executable (with its fuse wire) and files. */
function fakeElectronDist(dir: string): void {
  mkdirSync(path.join(dir, 'resources'), { recursive: true });
  mkdirSync(path.join(dir, 'locales'), { recursive: true });
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL), Buffer.from([1, 8]), Buffer.from('01000000')]);
  writeFileSync(
    path.join(dir, 'electron'),
    Buffer.concat([Buffer.from('#!/bin/sh\necho "stand-in Electron: cannot run the app"; exit 1\n#'), wire]),
  );
  chmodSync(path.join(dir, 'electron'), 0o755);
  writeFileSync(path.join(dir, 'version'), '45.5.0');
  writeFileSync(path.join(dir, 'LICENSE'), 'stand-in\n');
  writeFileSync(path.join(dir, 'LICENSES.chromium.html'), '<p>stand-in</p>\n');
}

/** The package names the main bundle itself requires (its bare, non-builtin `require` calls). */
function bundleRequires(bundle: string): string[] {
  return [...bundle.matchAll(/require\("([^".][^"]*)"\)/g)]
    .map((m) => m[1]!)
    .filter((n) => !n.startsWith('node:') && n !== 'electron')
    .map((n) => (n.startsWith('@') ? n.split('/').slice(0, 2).join('/') : n.split('/')[0]!));
}

/** The packages the main bundle requires at run time (its bare, non-builtin requires), with their dependencies. */
function runtimePackages(bundle: string): Set<string> {
  const direct = bundleRequires(bundle);
  const all = new Set<string>();
  const visit = (name: string): void => {
    if (all.has(name)) return;
    all.add(name);
    const pkg = JSON.parse(readFileSync(path.join(nodeModules, name, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  for (const name of direct) visit(name);
  return all;
}

beforeAll(() => {
  for (const f of ['main/index.js', 'preload/index.js', 'renderer/index.html'])
    if (!existsSync(path.join(root, 'out', f)))
      throw new Error(`the app is not built (out/${f} is missing): run npm run build first`);
  const builder = path.join(nodeModules, 'electron-builder', 'cli.js');
  if (!existsSync(builder))
    throw new Error('electron-builder is not installed (a devDependency): run npm ci');
  scratch = mkdtempSync(path.join(tmpdir(), 'od-packaging-'));
  const project = path.join(scratch, 'project');
  const electronDist = path.join(scratch, 'electron-dist');
  const output = path.join(scratch, 'dist');
  stageProject(project);
  fakeElectronDist(electronDist);
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      builder,
      '--linux',
      'dir',
      '--x64',
      '--publish',
      'never',
      '--projectDir',
      project,
      `-c.electronDist=${electronDist}`,
      `-c.directories.output=${output}`,
      '-c.npmRebuild=false',
    ],
    {
      cwd: project,
      encoding: 'utf8',
      timeout: 170_000,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: path.join(scratch, 'home'),
        ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
        ELECTRON_BUILDER_CACHE: path.join(scratch, 'cache'),
        ELECTRON_CACHE: path.join(scratch, 'cache'),
        // Any download attempt goes to a closed loopback port and fails the build: nothing leaves this machine.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9',
        https_proxy: 'http://127.0.0.1:9',
        http_proxy: 'http://127.0.0.1:9',
        CI: '1',
      },
    },
  );
  seconds = (performance.now() - started) / 1000;
  builderLog = `${run.stdout}\n${run.stderr}`;
  if (run.error || run.status !== 0)
    throw new Error(
      `electron-builder failed (exit ${run.status}, ${run.error?.message ?? ''}):\n${builderLog}`,
    );
  const appOut = path.join(output, 'linux-unpacked');
  const asar = readAsar(path.join(appOut, 'resources', 'app.asar'));
  entries = asar.entries;
  readEntry = asar.read;
  unpacked = path.join(appOut, 'resources', 'app.asar.unpacked');
  mainBundle = readFileSync(path.join(root, 'out', 'main', 'index.js'), 'utf8');
  const ours = entries.filter((e) => !e.path.startsWith('/node_modules/'));
  const packages = new Map<string, number>();
  for (const e of entries.filter((x) => x.path.startsWith('/node_modules/'))) {
    const parts = e.path.split('/');
    const name = parts[2]!.startsWith('@') ? `${parts[2]}/${parts[3]}` : parts[2]!;
    packages.set(name, (packages.get(name) ?? 0) + e.size);
  }
  const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
  console.log(
    [
      `electron-builder --linux dir: ${seconds.toFixed(1)} s; app.asar holds ${entries.length} files:`,
      ...ours.map((e) => `  ${e.path} (${kib(e.size)}${e.unpacked ? ', unpacked' : ''})`),
      ...[...packages].map(([n, size]) => `  /node_modules/${n}/… (${kib(size)})`),
      `unpacked: ${readdirSync(unpacked, { recursive: true, withFileTypes: true })
        .filter((d) => d.isFile())
        .map((d) => path.relative(unpacked, path.join(d.parentPath, d.name)))
        .join(', ')}`,
    ].join('\n'),
  );
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const has = (p: string): boolean => entries.some((e) => e.path === p);

describe('electron-builder --linux dir with a stand-in Electron, offline', () => {
  test('downloads nothing and rebuilds nothing', () => {
    expect(builderLog).toMatch(/using custom unpacked Electron distribution/);
    expect(builderLog).not.toMatch(/downloading|download\s+url/i);
    expect(builderLog).not.toMatch(/rebuilding native dependencies/i);
  });

  test('app.asar holds the built main, preload and renderer, and the package.json that points at main', () => {
    for (const f of [
      '/out/main/index.js',
      '/out/preload/index.js',
      '/out/renderer/index.html',
      '/package.json',
    ])
      expect(has(f), f).toBe(true);
    const rendererFiles = readdirSync(path.join(root, 'out', 'renderer'), {
      recursive: true,
      withFileTypes: true,
    })
      .filter((d) => d.isFile() && !d.name.endsWith('.map'))
      .map(
        (d) =>
          `/out/renderer/${path.relative(path.join(root, 'out', 'renderer'), path.join(d.parentPath, d.name))}`,
      );
    for (const f of rendererFiles) expect(has(f), f).toBe(true);
    const read = readEntry;
    const pkg = JSON.parse(read(entries.find((e) => e.path === '/package.json')!).toString('utf8')) as {
      main: string;
    };
    expect(pkg.main).toBe('out/main/index.js');
    expect(read(entries.find((e) => e.path === '/out/main/index.js')!).toString('utf8')).toBe(mainBundle);
  });

  test('every package the main bundle requires is inside, and nothing else from node_modules', () => {
    const needed = runtimePackages(mainBundle);
    expect([...needed]).toEqual(expect.arrayContaining(['better-sqlite3', 'zod', 'i18next', 'ipaddr.js']));
    const inside = new Set(
      entries
        .filter((e) => e.path.startsWith('/node_modules/'))
        .map((e) => {
          const parts = e.path.split('/');
          return parts[2]!.startsWith('@') ? `${parts[2]}/${parts[3]}` : parts[2]!;
        }),
    );
    const loads = ['better-sqlite3', 'zod', 'i18next', 'ipaddr.js'];
    for (const name of loads) expect(has(`/node_modules/${name}/package.json`), name).toBe(true);
    // Packages only the renderer build (bundled by vite) or the CLI (playwright-core) use are dead weight here.
    const extra = [...inside].filter((n) => !needed.has(n));
    expect(extra, `packages the main process never loads went into app.asar: ${extra.join(', ')}`).toEqual(
      [],
    );
  });

  test('no sources, tests, fixtures, source maps, CLI bundle or other build leftovers went in', () => {
    const leaks = entries
      .map((e) => e.path)
      .filter(
        (p) =>
          /^\/(main|shared|renderer|test|scripts|docs|bench|build|bin|\.ci|out\/cli|out\/native-build)\//.test(
            p,
          ) ||
          /\/(fixtures|__tests__|test|tests)\//.test(p) ||
          /\.(map|tsx?|mts|cts|sqlite|pem|key|pcap|log)$/.test(p) ||
          /(^|\/)(tsconfig[^/]*\.json|vitest\.config\.[^/]+|electron\.vite\.config\.[^/]+|eslint\.config\.[^/]+)$/.test(
            p,
          ),
      );
    expect(leaks, `leaked into app.asar:\n${leaks.join('\n')}`).toEqual([]);
  });

  test("better-sqlite3's addon built for Electron is unpacked where main looks for it, and only that one", () => {
    const addon = entries.find((e) => e.path === '/out/native/better_sqlite3.node');
    expect(addon?.unpacked, 'out/native/better_sqlite3.node is not in app.asar.unpacked').toBe(true);
    const onDisk = path.join(unpacked, 'out', 'native', 'better_sqlite3.node');
    expect(
      readFileSync(onDisk).equals(
        readFileSync(path.join(nodeModules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')),
      ),
    ).toBe(true);
    // main/index.ts: path.join(__dirname, '../native/better_sqlite3.node') with app.asar → app.asar.unpacked.
    expect(mainBundle).toContain('../native/better_sqlite3.node');
    // The Node build in node_modules cannot load in Electron (another ABI): shipping it would only mislead.
    const nodeBuilds = entries.filter((e) => e.path.endsWith('.node') && e.path.startsWith('/node_modules/'));
    expect(nodeBuilds.map((e) => e.path)).toEqual([]);
  });

  test('the packed main bundle finds every package it requires inside the package, and SQLite opens', () => {
    // The archive laid out on disk (Node cannot read an asar): requires resolve from out/main up to its
    // node_modules only, so nothing can come from the checkout's node_modules.
    const extracted = path.join(scratch, 'extracted');
    for (const e of entries) {
      const to = path.join(extracted, e.path);
      mkdirSync(path.dirname(to), { recursive: true });
      writeFileSync(to, e.unpacked ? readFileSync(path.join(unpacked, e.path)) : readEntry(e));
    }
    const names = bundleRequires(mainBundle);
    const script = `
      const { createRequire } = require('node:module');
      const load = createRequire(process.argv[1]);
      const found = process.argv.slice(3).map((n) => load.resolve(n));
      const Database = load('better-sqlite3');
      const db = new Database(':memory:', { nativeBinding: process.argv[2] });
      console.log(JSON.stringify({ found, one: db.prepare('select 1 as one').get().one }));
      db.close();`;
    const run = spawnSync(
      process.execPath,
      [
        '-e',
        script,
        path.join(extracted, 'out', 'main', 'index.js'),
        path.join(unpacked, 'out', 'native', 'better_sqlite3.node'),
        ...names,
      ],
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, cwd: extracted },
    );
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { found: string[]; one: number };
    for (const f of r.found)
      expect(f.startsWith(path.join(extracted, 'node_modules') + path.sep), f).toBe(true);
    expect(r.one).toBe(1);
  });

  test('the executable is renamed and its fuses flipped as electron-builder.yml says', () => {
    const exe = readFileSync(path.join(scratch, 'dist', 'linux-unpacked', 'origin-doctor'));
    const at = exe.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    const wire = exe.subarray(at + 2, at + 2 + FUSES.length).toString('latin1');
    expect(Object.fromEntries(FUSES.map((f, i) => [f, wire[i]]))).toEqual({
      runAsNode: '0',
      cookieEncryption: '1',
      nodeOptions: '0',
      nodeCliInspect: '0',
      asarIntegrity: '1',
      onlyAsar: '1',
    });
    expect(seconds).toBeLessThan(170);
  });
});
