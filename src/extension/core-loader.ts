/**
 * Everything heavy the extension needs, behind one dynamic import: activation must not load
 * onnxruntime-node, transformers.js or the model. esbuild keeps this module's initialisation lazy
 * (it runs on the first `import()`), which test/unit/extension-activation.test.ts checks on the
 * built bundle.
 */
export { analyze } from '../core/pipeline.js';
export { analyzePrecomputed } from '../core/precomputed-run.js';
export { createEmbedder } from '../core/embed/index.js';
export { buildSidecar } from '../core/report/sidecar.js';
export { loadReportAssets, renderHtml } from '../core/report/html.js';

/** This module's shape: what the extension gets once the core has loaded. */
export type Core = typeof import('./core-loader.js');
