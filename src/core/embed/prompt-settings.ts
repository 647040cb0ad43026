/**
 * What a model is shown besides the row texts: the settings an outside embedding job (the Ray
 * recipe) must use to compute the same vectors as a local run. The local code paths read these
 * values: the answer strings are the ones `pipeline.ts` asks the causal LM head for, the token
 * limit is `CausalLmRunner`'s default.
 */
export const PROMPT_SETTINGS = {
  /** The answers whose first tokens give W_U[y₊] and W_U[y₋] (with the leading space). */
  answerYes: ' Yes',
  answerNo: ' No',
  /** Causal LMs: the tokenizer's special tokens are added (BOS for Llama). */
  causalAddSpecialTokens: true,
  /**
   * Causal LMs whose tokenizer has a chat template: an evals question is a user turn followed by
   * the generation prompt; a pairwise row (prompt_chars set) is a user turn (text[:prompt_chars])
   * and an assistant turn (the rest). Off with --no-chat-template / preferenceLens.chatTemplate.
   */
  causalChatTemplate: 'when-the-tokenizer-has-one',
  /** Causal LMs: longer prompts keep their last tokens (where g(x) is read). */
  causalMaxTokens: 1024,
  causalTruncation: 'keep-last-tokens',
  /**
   * Sentence models: the text is cut at the model's max length (min of sentence_bert_config's
   * max_seq_length, max_position_embeddings, the tokenizer's model_max_length), keeping the
   * closing special tokens, then pooled as the model folder's 1_Pooling says.
   */
  sentenceTruncation: 'model-max-length-keep-special-tokens',
  /**
   * Rows with a prompt boundary (prompt_chars): a text longer than the limit loses the first tokens
   * of its prompt, text[:prompt_chars], and keeps the response whole (its start, when the response
   * alone is too long). The Ray recipe (recipes/ray) does not apply this yet: it cuts at the end.
   */
  pairTruncation: 'cut-prompt-start',
} as const;

/** The settings as Parquet key-value metadata (`preference_lens.prompt.*`). */
export const promptSettingsMetadata = (): { key: string; value: string }[] =>
  Object.entries(PROMPT_SETTINGS).map(([key, value]) => ({
    key: `preference_lens.prompt.${key}`,
    value: typeof value === 'string' ? value : JSON.stringify(value),
  }));
