// Bundles every face with esbuild: extension host + embedding child + CLI (Node, CommonJS) and the
// report webview (browser). onnxruntime-node and transformers.js stay external so the
// native binaries are loaded from node_modules (and shipped per platform in the VSIX).
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const nodeExternal = ['vscode', 'onnxruntime-node', '@huggingface/transformers', 'sharp'];

const nodeEntries = [
  ['src/extension/main.ts', 'dist/extension.js'],
  ['src/core/embed/child-main.ts', 'dist/embed-child.js'],
  ['src/core/analysis/analysis-worker.ts', 'dist/analysis-worker.js'],
  ['src/core/analysis/gemm-worker.ts', 'dist/gemm-worker.js'],
  ['src/core/report/projection-worker.ts', 'dist/projection-worker.js'],
  ['src/cli/main.ts', 'dist/cli.js'],
].filter(([entry]) => existsSync(entry));

const browserEntries = [['webview/main.ts', 'dist/webview.js']].filter(([entry]) =>
  existsSync(entry),
);

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const common = { bundle: true, sourcemap: true, logLevel: 'warning', minify: !watch };

await Promise.all([
  ...nodeEntries.map(([entry, outfile]) =>
    build({
      ...common,
      entryPoints: [entry],
      outfile,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: nodeExternal,
      define: { PACKAGE_VERSION: JSON.stringify(version) },
      // jsonc-parser's "main" is a UMD file whose inner require('./impl/...') esbuild cannot follow.
      alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    }),
  ),
  ...browserEntries.map(([entry, outfile]) =>
    build({
      ...common,
      entryPoints: [entry],
      outfile,
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    }),
  ),
]);

// The report stylesheet travels next to the bundles: the panel and the standalone HTML read dist/ only.
mkdirSync('dist', { recursive: true });
if (existsSync('media/report.css')) copyFileSync('media/report.css', 'dist/report.css');
