// Lint rules, including the folder layering of STYLE.md rule 1: which process a file runs in decides what it may import.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Bare module names go to `paths` (a `patterns` entry like 'net' would also match a folder named net/).
const nodeBuiltins = [
  'node:*',
  'fs',
  'path',
  'os',
  'net',
  'tls',
  'dns',
  'http',
  'https',
  'child_process',
  'crypto',
  'util',
  'url',
];

const restrict = (names, message) => {
  const isPattern = (n) => n.includes('*') || n.includes('/');
  return {
    'no-restricted-imports': [
      'error',
      {
        paths: names.filter((n) => !isPattern(n)).map((name) => ({ name, message })),
        patterns: names.filter(isPattern).map((group) => ({ group: [group], message })),
      },
    ],
  };
};

/** Banned syntax, with the reason each one is shown. Exported for the test that proves the gate bites. */
export const SECURITY_BANS = [
  {
    selector: "Property[key.name='shell'][value.value=true]",
    message: 'shell: true runs a shell on input: spawn the tool with an argument array instead.',
  },
  {
    selector: 'ImportSpecifier[imported.name=/^(exec|execSync)$/]',
    message: 'child_process exec goes through a shell: use execFile / spawn with an argument array.',
  },
  {
    selector:
      'CallExpression[callee.property.name=/^(exec|execSync)$/][callee.object.name=/^(cp|childProcess|child_process)$/]',
    message: 'child_process exec goes through a shell: use execFile / spawn with an argument array.',
  },
  {
    selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']",
    message: 'dangerouslySetInnerHTML renders untrusted strings as markup: render text.',
  },
  {
    selector:
      "Literal[value='NODE_TLS_REJECT_UNAUTHORIZED'], Identifier[name='NODE_TLS_REJECT_UNAUTHORIZED']",
    message: 'NODE_TLS_REJECT_UNAUTHORIZED turns off certificate checks for the whole process.',
  },
];

/**
 * Spreading a list into call arguments throws RangeError once the list is longer than the engine's argument limit
 * (about 120 000 in V8): `Math.max(...attempts)` crashed the app on a crafted session. Lists from a session, a
 * paste or a file can be that long: use `maxOf` / `minOf` / `appendAll` (shared/util/arrays.ts) or a loop.
 */
export const SPREAD_BANS = [
  {
    selector:
      'CallExpression[callee.object.name=/^(Math|String)$/][callee.property.name=/^(max|min|fromCharCode|fromCodePoint)$/] > SpreadElement',
    message:
      'Spreading a list into Math.max/min or String.fromCharCode throws on long lists: use maxOf / minOf (shared/util/arrays.ts) or a loop.',
  },
  {
    selector: 'CallExpression[callee.property.name=/^(push|unshift|splice|apply)$/] > SpreadElement',
    message:
      'Spreading a list into push/unshift/splice throws on long lists: use appendAll (shared/util/arrays.ts) or a loop.',
  },
];

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**', 'bench/results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-control-regex': 'off', // the validators match control characters on purpose, to refuse them
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'react', 'react-dom', 'better-sqlite3', '**/main/**', '**/renderer/**'],
      'shared/ runs on both sides: no Node, Electron, React or process-specific code.',
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'better-sqlite3', '**/main/**'],
      'The renderer talks to main through window.api only: no Node, Electron, SQL or main-process code.',
    ),
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/app/**', 'main/index.ts', 'main/preload.ts'],
    rules: restrict(
      ['electron', 'react', 'react-dom', '**/renderer/**', '**/app/window', '**/app/window.ts'],
      'Electron is a plugin: only main/app, main/index.ts and main/preload.ts import it.',
    ),
  },
  {
    files: ['main/diagnosis/**/*.ts', 'main/report/**/*.ts', 'main/policy/**/*.ts', 'main/origin/**/*.ts'],
    rules: restrict(
      [...nodeBuiltins, 'electron', 'better-sqlite3', '**/renderer/**', '**/use-cases/**', '**/app/**'],
      'The domain core is pure: facts in, results out; no I/O.',
    ),
  },
  {
    files: ['main/preload.ts'],
    rules: restrict(
      ['zod', '**/shared/ipc/contract', '**/shared/model/**', 'node:*'],
      'The sandboxed preload imports the channel names only.',
    ),
  },
  {
    // Security gate: patterns that turn a diagnostic tool into a remote shell or an XSS sink are banned outright.
    files: ['main/**/*.ts', 'shared/**/*.ts', 'renderer/**/*.{ts,tsx}', 'bench/**/*.ts', 'scripts/**/*.mjs'],
    rules: {
      'no-restricted-syntax': ['error', ...SECURITY_BANS, ...SPREAD_BANS],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', require: 'readonly' },
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' }, // a CommonJS launcher for the bundled CLI
  },
);
