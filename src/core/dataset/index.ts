export { answerLabel, normalizeAnswer, type AnswerLabel } from './answers.js';
export { DatasetChangedError, DatasetInputError, DatasetSchemaError } from './errors.js';
export { MAX_LINE_BYTES, readLines, type LineSourceOptions, type SourceLine } from './lines.js';
export {
  behaviorFromFileName,
  DETECTION_WINDOW,
  expandDatasetPaths,
  readDataset,
  readDatasets,
} from './read.js';
export {
  FileRows,
  readRowContents,
  rowDigest,
  rowPromptChars,
  rowTextLength,
  StoredExample,
} from './stored-rows.js';
export {
  BEHAVIOR_FIELD_CANDIDATES,
  chooseBehaviorField,
  DEFAULT_FIELDS,
  detectSchema,
  isRecord,
  matchesSchema,
  resolveFields,
  type FieldNames,
  type FieldRole,
} from './schema.js';
export {
  optionRows,
  optionText,
  splitChoices,
  type ChoiceSplit,
  type MultipleChoiceMode,
} from './multiple-choice.js';
export { joinPromptResponse, renderMessages, type ChatMessage } from './text.js';
export type * from './types.js';
