import { firstJsonSyntaxError, valueOffset } from './json-scan.js';

/** Where JSON.parse gave up on a line, 1-based, plus a readable reason. */
export interface JsonErrorLocation {
  column: number;
  message: string;
}

const JSON_ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a double-quoted property name was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: "a ':' was expected",
  CommaExpected: "a ',' was expected",
  CloseBraceExpected: "a closing '}' was expected",
  CloseBracketExpected: "a closing ']' was expected",
  EndOfFileExpected: 'unexpected text after the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character in a string',
  InvalidCharacter: 'invalid character (control characters must be escaped in strings)',
};

/**
 * Locates a JSON syntax error. V8 reports the exact character ("at position N") for most errors,
 * but not all, and the wording changes between Node versions; jsonc-parser (the VS Code JSON
 * scanner) always gives the offending token, so it covers the rest and names the problem.
 */
export function locateJsonError(text: string, error: unknown): JsonErrorLocation {
  const v8Message = error instanceof Error ? error.message : String(error);
  const first = firstJsonSyntaxError(text);
  const v8Position = /at position (\d+)/.exec(v8Message);
  let offset = 0;
  if (v8Position) offset = Number(v8Position[1]);
  else if (first) offset = first.offset;
  // jsonc-parser calls a stray word after the value an invalid symbol; V8 knows it is trailing.
  const code = / after JSON/.test(v8Message) ? 'EndOfFileExpected' : first?.code;
  const reason = code
    ? (JSON_ERROR_TEXT[code] ?? 'syntax error')
    : v8Message.replace(/ in JSON at position \d+.*$/, '');
  return { column: Math.min(offset, text.length) + 1, message: `invalid JSON: ${reason}` };
}

/**
 * 1-based column of the value at `path` (e.g. ['prompt', 2]) in a line holding one JSON object,
 * or 1 when it cannot be found. Of a key given twice, the last one: the value JSON.parse kept.
 * Only called for lines being reported, so it may re-scan.
 */
export function valueColumn(text: string, path: ReadonlyArray<string | number>): number {
  const offset = valueOffset(text, path);
  return offset === undefined ? 1 : offset + 1;
}

/** 1-based column of the first non-blank character: where the record starts on its line. */
export function firstColumn(text: string): number {
  const match = /\S/.exec(text);
  return match ? match.index + 1 : 1;
}
