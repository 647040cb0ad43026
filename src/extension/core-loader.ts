/**
 * Everything heavy the extension needs, behind one dynamic import: activation must not load
 * onnxruntime-node, transformers.js or the model. esbuild keeps this module's initialisation lazy
 * (it runs on the first `import()`), which test/unit/extension-activation.test.ts checks on the
 * built bundle.
 */
// A face gets the report and its sidecar (core/run.ts), never the embeddings.
export { analyzeRun, analyzePrecomputedRun } from '../core/run.js';
export { createEmbedder } from '../core/embed/index.js';
export { loadReportAssets, renderHtml } from '../core/report/html.js';

/** This module's shape: what the extension gets once the core has loaded. */
export type Core = typeof import('./core-loader.js');
