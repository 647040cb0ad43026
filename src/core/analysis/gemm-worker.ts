// Entry of the linear-algebra worker thread (dist/gemm-worker.js, started by gemm-client.ts): the
// one thread of the process that loads onnxruntime, serving matrix products on the shared
// embedding matrix one request at a time, in arrival order.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { GemmService } from './gemm-service.js';
import type { Matrix } from './matrix.js';
import { sharedMatrix } from './threads.js';
import type { GemmReply, GemmRequest, GemmWorkerData } from './worker-protocol.js';

const init = workerData as GemmWorkerData;
const matrix: Matrix = sharedMatrix(init.matrix);

type Target = Pick<MessagePort, 'postMessage'>;
type Queued = { job: Exclude<GemmRequest, { kind: 'connect' }>; to: Target };

const answer = async (
  service: GemmService,
  job: Exclude<GemmRequest, { kind: 'connect' }>,
  to: Target,
): Promise<void> => {
  const reply = (r: GemmReply, transfer: ArrayBuffer[] = []): void => to.postMessage(r, transfer);
  try {
    if (job.kind === 'behavior') {
      const products = await service.behavior(job);
      const transfer = products.grams.flatMap((g) => (g ? [g.values.buffer as ArrayBuffer] : []));
      for (const p of products.products) {
        transfer.push(p.norms.buffer as ArrayBuffer);
        if (p.vectors) transfer.push(p.vectors.buffer as ArrayBuffer);
      }
      reply({ id: job.id, kind: 'behavior', ...products }, [...new Set(transfer)]);
    } else {
      const out = await service.scores(
        job.rows.subarray(job.from, job.to),
        job.heads,
        job.k,
        job.states,
      );
      reply({ id: job.id, kind: 'scores', out }, [out.buffer as ArrayBuffer]);
    }
  } catch (error) {
    reply({ id: job.id, kind: 'error', error: String(error) });
  }
};

GemmService.create(matrix, init.threads).then(
  (service) => {
    // One request at a time. A behavior's statistics products go before waiting state scores:
    // the thread that asked for them waits with nothing else to do, while the scores of a joint
    // run's flush can come later without holding anyone up for longer.
    const waiting: { first: Queued[]; then: Queued[] } = { first: [], then: [] };
    let busy = false;
    const pump = (): void => {
      const next = waiting.first.shift() ?? waiting.then.shift();
      if (!next) return void (busy = false);
      busy = true;
      void answer(service, next.job, next.to).then(pump);
    };
    const serve = (job: GemmRequest, to: Target): void => {
      if (job.kind === 'connect') job.port.on('message', (j: GemmRequest) => serve(j, job.port));
      else {
        (job.kind === 'behavior' ? waiting.first : waiting.then).push({ job, to });
        if (!busy) pump();
      }
    };
    parentPort?.on('message', (job: GemmRequest) => serve(job, parentPort!));
    parentPort?.postMessage({ id: -1, kind: 'ready' } satisfies GemmReply);
  },
  (error: unknown) =>
    parentPort?.postMessage({
      id: -1,
      kind: 'unavailable',
      error: String(error),
    } satisfies GemmReply),
);
