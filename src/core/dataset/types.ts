/** Where a piece of input came from. Lines and columns are 1-based, as editors show them. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

export type SchemaName = 'evals' | 'pairwise' | 'hh-rlhf';

/**
 * One row of the embedding matrix. For the evals schema one JSONL record gives one row;
 * for pairwise and HH-RLHF data one record gives two rows (chosen +1, rejected -1) sharing `pair`.
 */
export interface Example {
  /** The text that is embedded (the evals `question`, or prompt + response for pairs). */
  text: string;
  behavior: string;
  /** +1: the preferred / behavior-matching side; -1: the other side. */
  label: 1 | -1;
  file: string;
  line: number;
  /** 1-based column where the record starts on its line (1 unless the line is indented). */
  column?: number;
  /** Pair id shared by the chosen and rejected rows of one pairwise record. */
  pair?: number;
  /** The persona `statement`, or a short display text for the report. */
  display?: string;
  /**
   * The side's score when the record has UltraFeedback-style `score_chosen` and `score_rejected`
   * (the chosen row holds score_chosen, the rejected row score_rejected).
   */
  score?: number;
  /**
   * Pairwise and HH-RLHF rows: how many leading UTF-16 code units of `text` are the prompt (the
   * shared part); the rest is the response DPO compares. A text too long for the model loses the
   * start of its prompt, never its response (docs/datasets.md, "Truncation").
   */
  promptChars?: number;
}

export type SkipReason =
  | 'invalid-json'
  | 'missing-field'
  | 'wrong-type'
  | 'empty-text'
  | 'duplicate'
  | 'unknown-answer'
  | 'not-an-object'
  /** Longer than ReadOptions.maxLineBytes: counted, never held in memory. */
  | 'line-too-long';

/** A line that was reported and left out of the analysis; nothing is dropped silently. */
export interface SkippedLine extends SourcePosition {
  reason: SkipReason;
  message: string;
}

export interface ReadOptions {
  /** Force a schema instead of auto-detection. */
  schema?: SchemaName;
  /** Name of the behavior/category field for pairwise data (auto-detected when absent). */
  behaviorField?: string;
  /** Field mapping overrides, e.g. { prompt: 'instruction', chosen: 'better' }. */
  fields?: Partial<
    Record<'prompt' | 'chosen' | 'rejected' | 'question' | 'matching' | 'notMatching', string>
  >;
  /** Unsaved editor contents keyed by absolute path: read these instead of the disk file. */
  overlays?: ReadonlyMap<string, string>;
  /**
   * 'skip' (default): a record with the same behavior, texts and labels as an earlier one in the
   * same file is reported as a duplicate. 'keep': keep it, e.g. to re-analyze a rebalanced file,
   * where repeated lines are the upsampling.
   */
  duplicates?: 'skip' | 'keep';
  /**
   * Evals questions with lettered choices (" (A)" / " (B)"): 'answer-token' (default; the paper's
   * form: one row, the whole prompt, labeled by the matching letter) or 'option-text' (a pair: the
   * stem with the matching option's text, +1, and with each other option's text, −1).
   * docs/datasets.md, "Multiple-choice evals".
   */
  multipleChoice?: 'answer-token' | 'option-text';
  signal?: AbortSignal;
  /**
   * Lines longer than this many UTF-8 bytes are skipped as 'line-too-long' without being held in
   * memory (default MAX_LINE_BYTES, 256 MiB, below V8's string limit).
   */
  maxLineBytes?: number;
  /**
   * false: count the rows per behavior (DatasetFile.rowCounts) but keep none of them, so reading
   * takes memory for the skipped lines and 32 bytes per record only (`check`). Default true.
   */
  keepRows?: boolean;
  /**
   * false: rows of files on disk hold no text, only where their line is and the text's SHA-256
   * (StoredExample): `text` and `display` are read back from the file when they are read, and a
   * file changed since it was read is then a DatasetChangedError. Rows of overlays keep their
   * texts. `analyze` reads this way; default true.
   */
  keepTexts?: boolean;
  /**
   * Hugging Face Hub inputs (`hf://owner/name[@config][/split]`): whether a split missing from the
   * cache may be downloaded (default false), the cache folder (default
   * ~/.cache/preference-lens/datasets) and the Hub's address (default $HF_ENDPOINT, else
   * https://huggingface.co).
   */
  hub?: { allowDownload?: boolean; cacheDir?: string; endpoint?: string };
  /**
   * Bytes consumed so far and the total, across all files of one readDatasets call; called about
   * once per 64 KiB chunk.
   */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/** How every line of a file was accounted for: lines === records + skipped + blank. */
export interface LineCounts {
  lines: number;
  /** Records kept (one evals row, or one pair of rows). */
  records: number;
  skipped: number;
  /** Empty or whitespace-only lines: ignored, not reported as skipped. */
  blank: number;
}

/** Rows of one behavior by answer: +1 (positive) and -1 (negative). */
export interface BehaviorRowCounts {
  positive: number;
  negative: number;
}

export interface DatasetFile {
  file: string;
  schema: SchemaName;
  /** The rows; empty when read with keepRows: false. */
  examples: Example[];
  /** Rows per behavior, present when read with keepRows: false. */
  rowCounts?: Record<string, BehaviorRowCounts>;
  skipped: SkippedLine[];
  counts?: LineCounts;
  /** The field the behavior names came from; absent when the file name is the behavior. */
  behaviorField?: string;
  /** Records with lettered choices read as one row (answer-token) that option-text would split. */
  splittableChoices?: number;
  /** Present when the file was read with multipleChoice: 'option-text'. */
  multipleChoice?: 'option-text';
}
