import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

/** The renderer's budget: the JavaScript a window loads before it can answer, gzipped (issue #8: < 350 KB). */
const INITIAL_JS_BUDGET = 350 * 1024;

/**
 * Prints the initial JavaScript of the renderer, gzipped, after every build, and fails a build over budget. The
 * texts of one language are loaded before the first paint (their own chunk, the largest is counted), the rest of
 * the split code only when a view needs it.
 */
function initialJsSize(): Plugin {
  return {
    name: 'origin-doctor:initial-js-size',
    generateBundle(_options, bundle) {
      let raw = 0;
      let gz = 0;
      let language = { raw: 0, gz: 0 };
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const size = { raw: Buffer.byteLength(chunk.code), gz: gzipSync(chunk.code, { level: 9 }).length };
        if (chunk.isEntry) {
          raw += size.raw;
          gz += size.gz;
        } else if (chunk.facadeModuleId?.includes('/shared/i18n/locales/') && size.gz > language.gz)
          language = size;
      }
      raw += language.raw;
      gz += language.gz;
      const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
      console.log(
        `renderer initial JavaScript: ${kib(gz)} gzipped (${kib(raw)} raw, of which one language's texts ${kib(language.gz)}; budget ${kib(INITIAL_JS_BUDGET)})`,
      );
      if (gz > INITIAL_JS_BUDGET)
        this.error(`the renderer's initial JavaScript is over its budget: ${kib(gz)}`);
    },
  };
}

// main and preload build as CommonJS (the package has no "type": "module"): a sandboxed preload cannot load ESM.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/index.ts'),
          // The worker thread the handlers read pasted texts in: out/main/parse-worker.js, beside index.js.
          'parse-worker': resolve(__dirname, 'main/use-cases/parse-worker.ts'),
        },
        external: ['better-sqlite3'],
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'main/preload.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react(), initialJsSize()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
  },
});
