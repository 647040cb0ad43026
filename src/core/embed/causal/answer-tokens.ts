import type { PreTrainedTokenizer } from '@huggingface/transformers';

export interface AnswerToken {
  id: number;
  /** The vocabulary entry, e.g. "▁Yes" (SentencePiece) or "ĠYes" (byte-level BPE). */
  token: string;
}

/**
 * The token an answer such as " Yes" starts with, as the model would emit it right after the
 * prompt. A lone space marker ("▁" alone, as Llama's tokenizer gives for a leading space) is
 * skipped: the word token after it is the one whose probability the answer is scored by.
 */
export const answerToken = (tokenizer: PreTrainedTokenizer, answer: string): AnswerToken => {
  const ids = tokenizer.encode(answer, { add_special_tokens: false });
  const tokens = tokenizer.tokenize(answer);
  const first = ids.findIndex((id) => tokenizer.decode([id]).trim() !== '');
  if (first < 0) throw new Error(`The answer "${answer}" has no token that is not whitespace.`);
  const id = ids[first];
  if (id === tokenizer.unk_token_id && tokenizer.unk_token_id !== undefined) {
    throw new Error(
      `The answer "${answer}" is not in the tokenizer's vocabulary (it maps to ${tokenizer.unk_token}).`,
    );
  }
  return { id, token: tokens.length === ids.length ? tokens[first] : tokenizer.decode([id]) };
};

export const answerTokens = (
  tokenizer: PreTrainedTokenizer,
  yes: string,
  no: string,
): { yes: AnswerToken; no: AnswerToken } => {
  const y = answerToken(tokenizer, yes);
  const n = answerToken(tokenizer, no);
  if (y.id === n.id)
    throw new Error(`The answers "${yes}" and "${no}" start with the same token ${y.token}.`);
  return { yes: y, no: n };
};
