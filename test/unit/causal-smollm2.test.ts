import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmbedder } from '../../src/core/embed/index.js';
import type { Embedder } from '../../src/core/embed/types.js';
import { cosine, describeSmolLM2, SMOLLM2_DIR } from './smollm2-model.js';

// PyTorch transformers on the same GGUF checkpoint (tools/causal/make_fixture.py, its own
// dequantization and loader): the converted model must give the same g(x) and answer rows.
interface Fixture {
  tiedEmbeddings: boolean;
  gguf: {
    add_bos_token: boolean;
    bos_token: string;
    eos_token: string;
    pad_token: string;
    chat_template: string;
  };
  answers: Record<' Yes' | ' No', { id: number; token: string; row: number[] }>;
  rows: { file: string; text: string; ids: number[]; hidden: number[] }[];
}
const fixture = JSON.parse(
  readFileSync(resolve('test', 'fixtures', 'causal', 'smollm2-transformers.json'), 'utf8'),
) as Fixture;

describeSmolLM2('SmolLM2-135M-Instruct against PyTorch transformers on the same GGUF', () => {
  const root = mkdtempSync(join(tmpdir(), 'pl-smollm2-'));
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await createEmbedder({ model: SMOLLM2_DIR, cacheDir: root, device: 'cpu' });
  });
  afterAll(async () => {
    await embedder.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('is a causal LM of dimension 576 read at the last prompt token', () => {
    expect(embedder.info).toMatchObject({
      kind: 'causal-lm',
      dimension: 576,
      pooling: 'last-token',
    });
  });

  it('follows the GGUF tokenizer metadata: no BOS added, eos and pad <|im_end|>, its chat template', () => {
    const config = JSON.parse(
      readFileSync(join(SMOLLM2_DIR, 'tokenizer_config.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(config.add_bos_token).toBe(fixture.gguf.add_bos_token);
    expect(fixture.gguf.add_bos_token).toBe(false);
    expect(config.eos_token).toBe(fixture.gguf.eos_token);
    expect(config.pad_token).toBe(fixture.gguf.pad_token);
    expect(fixture.gguf.eos_token).toBe('<|im_end|>');
    expect(config.chat_template).toBe(fixture.gguf.chat_template);
  });

  it('g(x) has cosine >= 0.999 with transformers for every persona text (chat template applied)', async () => {
    const texts = fixture.rows.map((r) => r.text);
    const out = await embedder.embed(texts);
    const cosines = fixture.rows.map((r, i) =>
      cosine(out.data.subarray(i * 576, (i + 1) * 576), r.hidden),
    );
    console.log(
      `SmolLM2 vs transformers: min cosine ${Math.min(...cosines).toFixed(7)} over ${texts.length} texts`,
    );
    cosines.forEach((c) => expect(c).toBeGreaterThanOrEqual(0.999));
  });

  it("the answer rows are the checkpoint's tied head rows for ' Yes' and ' No'", async () => {
    expect(fixture.tiedEmbeddings).toBe(true);
    const head = await embedder.answerHead!(' Yes', ' No');
    expect(head.yesToken).toBe(fixture.answers[' Yes'].token);
    expect(head.noToken).toBe(fixture.answers[' No'].token);
    // The fixture keeps each float32 in its shortest decimal form: Math.fround gives it back.
    expect(Array.from(head.yes)).toEqual(fixture.answers[' Yes'].row.map(Math.fround));
    expect(Array.from(head.no)).toEqual(fixture.answers[' No'].row.map(Math.fround));
  });
});
