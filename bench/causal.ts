/**
 * `npm run bench -- --causal [--count 200]`: embedding speed of the real causal LM
 * (.models/smollm2-135m-instruct, `npm run model:causal`) next to PyTorch transformers on the same
 * GGUF and the same texts in one run (tools/bench/causal_peer.py, in the Python of
 * PREFERENCE_LENS_PYTHON / .venv / python3; skipped with a line when it lacks torch or
 * transformers). Texts: the questions of the bundled persona files, round robin. Cold runs: the
 * pipeline's embedder from opening the model (no cache), the peer from importing torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCausalLmEmbedder } from '../src/core/embed/causal/index.js';
import { peerPython } from './sentence-transformers-peer.js';

const MODEL = resolve('.models', 'smollm2-135m-instruct');
const GGUF = resolve('.models', '.work', 'SmolLM2-135M-Instruct.Q4_1.gguf');

const personaTexts = (count: number): string[] => {
  const dir = resolve('examples', 'persona');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { question: string }).question),
    );
  const out: string[] = [];
  for (let i = 0; out.length < count; i++)
    for (const f of files) if (out.length < count) out.push(f[i]);
  return out;
};

export const benchCausal = async (count: number, log: (line: string) => void): Promise<void> => {
  if (!existsSync(join(MODEL, 'onnx', 'model.onnx'))) {
    log(`causal: skipped, ${MODEL} is not built (npm run model:causal)`);
    return;
  }
  const texts = personaTexts(count);
  const root = mkdtempSync(join(tmpdir(), 'pl-bench-causal-'));
  try {
    const t0 = performance.now();
    const embedder = await createCausalLmEmbedder({ modelDir: MODEL, cacheDir: root });
    const t1 = performance.now();
    await embedder.embed(texts);
    const t2 = performance.now();
    await embedder.dispose();
    const startS = (t1 - t0) / 1000;
    const embedS = (t2 - t1) / 1000;
    log(
      `Preference Lens (onnxruntime, float32): ${count} texts cold ${(startS + embedS).toFixed(1)} s (start-up ${startS.toFixed(1)} s), ${(count / (startS + embedS)).toFixed(1)} texts/s including start-up, ${(count / embedS).toFixed(1)} after`,
    );
    const python = peerPython();
    const textsPath = join(root, 'texts.json');
    writeFileSync(textsPath, JSON.stringify(texts));
    const peer = spawnSync(python, [resolve('tools', 'bench', 'causal_peer.py'), GGUF, textsPath], {
      encoding: 'utf8',
    });
    const line = peer.stdout?.trim().split('\n').at(-1);
    if (peer.status !== 0 || !line) {
      const why = peer.error ? String(peer.error) : (peer.stderr ?? '').trim().split('\n').at(-1);
      log(
        `PyTorch transformers: skipped (${python}: ${why ?? 'no output'}; set PREFERENCE_LENS_PYTHON to a Python with torch and transformers)`,
      );
      return;
    }
    const p = JSON.parse(line) as { load_s: number; embed_s: number; threads: number };
    const total = p.load_s + p.embed_s;
    log(
      `PyTorch transformers (float32, ${p.threads} threads, batch 16): cold ${total.toFixed(1)} s (load ${p.load_s.toFixed(1)} s), ${(count / total).toFixed(1)} texts/s including load, ${(count / p.embed_s).toFixed(1)} after`,
    );
    log(
      `ratio (Preference Lens / PyTorch, texts/s): ${(total / (startS + embedS)).toFixed(2)}x including start-up, ${(p.embed_s / embedS).toFixed(2)}x after`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
};
