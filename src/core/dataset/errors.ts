import { formatPosition } from './position.js';
import type { SchemaName } from './types.js';

/**
 * A file that follows none of the known schemas. Thrown once per file (not once per line), with
 * enough to fix it: where the first record is, which fields it has, and what was expected.
 */
export class DatasetSchemaError extends Error {
  override readonly name = 'DatasetSchemaError';
  constructor(
    readonly file: string,
    /** 1-based line of the first JSON object (or first non-blank line if there is none). */
    readonly line: number,
    readonly fieldsFound: readonly string[],
    readonly expected: Readonly<Record<SchemaName, readonly string[]>>,
    message: string,
  ) {
    super(message);
  }
}

/** A path given to the reader that cannot be read as a dataset (missing, empty folder, ...). */
export class DatasetInputError extends Error {
  override readonly name: string = 'DatasetInputError';
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A row's text, read back from its file by offset (ReadOptions.keepTexts: false), is not the text
 * that was read: the file changed on disk during or since the analysis.
 */
export class DatasetChangedError extends DatasetInputError {
  override readonly name = 'DatasetChangedError';
  constructor(
    file: string,
    readonly line: number,
  ) {
    super(
      file,
      `${formatPosition(file, line)}: the file changed since it was read; analyze it again`,
    );
  }
}
