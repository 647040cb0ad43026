// Entry of the embedding child process (dist/embed-child.js). onnxruntime-node runs a session
// synchronously on the thread that calls it, and has crashed inside worker threads, so the model
// lives in its own process: a crash or a long batch never takes the extension host or CLI down.
import type { Backend } from './backend.js';
import { loadBackend } from './load-backend.js';
import type { ChildReply, ParentMessage } from './protocol.js';

let backend: Backend | undefined;
let queue: Promise<void> = Promise.resolve();

const send = (reply: ChildReply): void => {
  process.send?.(reply);
};

const loaded = (): Backend => {
  if (!backend) throw new Error('No model is loaded in the embedding process.');
  return backend;
};

const handle = async (msg: ParentMessage): Promise<void> => {
  try {
    switch (msg.type) {
      case 'load': {
        const { id, dir, backend: b } = await loadBackend(msg.spec);
        backend = b;
        send({
          type: 'loaded',
          id: msg.id,
          model: {
            info: {
              id,
              kind: b.kind,
              dimension: b.dimension,
              device: b.device,
              deviceReason: b.deviceReason,
              pooling: b.pooling,
              sha256: b.sha256,
              ...(b.precision ? { precision: b.precision } : {}),
              maxTokens: b.maxTokens,
            },
            identity: b.identity,
            hasAnswerHead: typeof b.answerHead === 'function',
            tokensPerChar: b.tokensPerChar,
            folder: dir,
          },
        });
        break;
      }
      case 'embed': {
        const b = loaded();
        const data = await b.embedBatch(msg.texts, msg.promptChars);
        send({ type: 'embedded', id: msg.id, data, rows: msg.texts.length, dim: b.dimension });
        break;
      }
      case 'measure': {
        const truncation = await loaded().measure(msg.texts, msg.promptChars);
        send({ type: 'measured', id: msg.id, truncation });
        break;
      }
      case 'answerHead': {
        const b = loaded();
        if (!b.answerHead) throw new Error('This model has no LM head to read answer rows from.');
        send({ type: 'answerHead', id: msg.id, head: await b.answerHead(msg.yes, msg.no) });
        break;
      }
      case 'stats':
        send({
          type: 'stats',
          id: msg.id,
          stats: { maxRss: process.resourceUsage().maxRSS * 1024 },
        });
        break;
    }
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', id: msg.id, message: e.message, name: e.name });
  }
};

// One message at a time, in order: a session never runs two batches at once.
process.on('message', (msg: ParentMessage) => {
  queue = queue.then(() => handle(msg));
});
// The parent went away (closed, crashed): nothing is left to answer.
process.on('disconnect', () => process.exit(0));
// Ctrl-C in a terminal reaches the whole process group: the parent decides how to stop (it aborts
// after the batch in flight, so the cache stays consistent) and disconnects, which ends this child.
process.on('SIGINT', () => undefined);
