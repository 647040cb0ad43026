/**
 * UMAP off the UI thread. Seeded (umap-js takes a `random` function), stepped epoch by epoch so
 * the report can show progress; a new request simply replaces the worker.
 */
import { UMAP } from 'umap-js';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import type { UmapRequest, UmapResponse } from './worker-protocol.js';

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<UmapRequest>) => void) | null;
  postMessage(m: UmapResponse): void;
};

function run(req: UmapRequest): void {
  const rng = xoroshiro128plus(req.seed);
  const random = (): number => uniformFloat64(rng);
  const rows: number[][] = [];
  for (let i = 0; i < req.n; i++) rows.push(req.points.slice(i * req.dims, (i + 1) * req.dims));
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(req.nNeighbors, req.n - 1)),
    minDist: req.minDist,
    // umap-js runs 500 epochs below 10k points; 200 already settle a map of this size.
    nEpochs: req.n > 1000 ? 200 : undefined,
    random,
  });
  const epochs = umap.initializeFit(rows);
  const every = Math.max(1, Math.floor(epochs / 50));
  for (let epoch = 0; epoch < epochs; epoch++) {
    umap.step();
    if (epoch % every === 0) scope.postMessage({ id: req.id, type: 'progress', epoch, epochs });
  }
  scope.postMessage({ id: req.id, type: 'done', embedding: umap.getEmbedding().flat() });
}

scope.onmessage = (e) => {
  try {
    run(e.data);
  } catch (err) {
    scope.postMessage({ id: e.data.id, type: 'error', message: String(err) });
  }
};
