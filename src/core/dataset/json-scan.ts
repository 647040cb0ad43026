import { createScanner, type JSONScanner } from 'jsonc-parser';

/*
 * Both walks below read a line token by token with jsonc-parser's scanner and keep their own
 * stack of open containers, so that a line nested 100,000 levels deep costs memory, not call
 * stack: jsonc-parser's parse() and parseTree() recurse once per level and overflow the stack at
 * about 4,900 levels, which used to make one deep bad line fail the whole file.
 *
 * The numbers are jsonc-parser's SyntaxKind, ScanError and ParseErrorCode values: its enums are
 * `const enum`s, which isolatedModules builds cannot read.
 */
const TOKEN = {
  openBrace: 1,
  closeBrace: 2,
  openBracket: 3,
  closeBracket: 4,
  comma: 5,
  colon: 6,
  nullKeyword: 7,
  trueKeyword: 8,
  falseKeyword: 9,
  string: 10,
  number: 11,
  lineComment: 12,
  blockComment: 13,
  lineBreak: 14,
  trivia: 15,
  unknown: 16,
  eof: 17,
} as const;

/** jsonc-parser's ParseErrorCode names, as printParseErrorCode spells them. */
export type JsonSyntaxErrorCode =
  | 'InvalidSymbol'
  | 'InvalidNumberFormat'
  | 'PropertyNameExpected'
  | 'ValueExpected'
  | 'ColonExpected'
  | 'CommaExpected'
  | 'CloseBraceExpected'
  | 'CloseBracketExpected'
  | 'EndOfFileExpected'
  | 'InvalidCommentToken'
  | 'UnexpectedEndOfString'
  | 'UnexpectedEndOfNumber'
  | 'InvalidUnicode'
  | 'InvalidEscapeCharacter'
  | 'InvalidCharacter';

export interface JsonSyntaxError {
  code: JsonSyntaxErrorCode;
  /** 0-based offset of the token where the error was found. */
  offset: number;
}

/** ScanError values that parse() reports (UnexpectedEndOfComment is silent with comments off). */
const SCAN_ERRORS: Record<number, JsonSyntaxErrorCode> = {
  2: 'UnexpectedEndOfString',
  3: 'UnexpectedEndOfNumber',
  4: 'InvalidUnicode',
  5: 'InvalidEscapeCharacter',
  6: 'InvalidCharacter',
};

class Found {
  constructor(readonly error: JsonSyntaxError) {}
}

/**
 * The first error jsonc-parser's parse(text, errors, { disallowComments: true,
 * allowTrailingComma: false, allowEmptyContent: false }) would report, or null for valid JSON,
 * found without recursion. The grammar steps mirror jsonc-parser's visit() up to its first
 * error, so codes and offsets agree with it (a test cross-checks the two on random lines).
 */
export function firstJsonSyntaxError(text: string): JsonSyntaxError | null {
  const scanner = createScanner(text, false);
  const fail = (code: JsonSyntaxErrorCode): never => {
    throw new Found({ code, offset: scanner.getTokenOffset() });
  };
  const next = (): number => {
    for (;;) {
      const token = scanner.scan() as number;
      const scanError = SCAN_ERRORS[scanner.getTokenError() as number];
      if (scanError) fail(scanError);
      if (token === TOKEN.lineComment || token === TOKEN.blockComment) fail('InvalidCommentToken');
      if (token === TOKEN.unknown) fail('InvalidSymbol');
      if (token !== TOKEN.trivia && token !== TOKEN.lineBreak) return token;
    }
  };
  // One entry per open container: true for an array. needsComma is kept alongside.
  const isArray: boolean[] = [];
  const needsComma: boolean[] = [];
  try {
    let token = next();
    if (token === TOKEN.eof) fail('ValueExpected');
    for (;;) {
      // `token` starts a value (in an array, after a key's colon, or at the top).
      if (token === TOKEN.openBracket || token === TOKEN.openBrace) {
        isArray.push(token === TOKEN.openBracket);
        needsComma.push(false);
        token = next();
      } else if (token === TOKEN.string) {
        token = next();
      } else if (isLiteral(token, scanner)) {
        token = next();
      } else {
        fail('ValueExpected');
      }
      // Close containers, or find where the next value starts.
      let valueStarts = false;
      while (!valueStarts) {
        const depth = isArray.length;
        if (depth === 0) {
          if (token !== TOKEN.eof) fail('EndOfFileExpected');
          return null;
        }
        const array = isArray[depth - 1];
        const close = array ? TOKEN.closeBracket : TOKEN.closeBrace;
        if (token === close || token === TOKEN.eof) {
          if (token !== close) fail(array ? 'CloseBracketExpected' : 'CloseBraceExpected');
          isArray.pop();
          needsComma.pop();
          token = next();
          continue;
        }
        if (token === TOKEN.comma) {
          if (!needsComma[depth - 1]) fail('ValueExpected');
          token = next();
        } else if (needsComma[depth - 1]) {
          fail('CommaExpected');
        }
        needsComma[depth - 1] = true;
        if (!array) {
          if (token !== TOKEN.string) fail('PropertyNameExpected');
          token = next();
          if (token !== TOKEN.colon) fail('ColonExpected');
          token = next();
        }
        valueStarts = true;
      }
    }
  } catch (error) {
    if (error instanceof Found) return error.error;
    throw error;
  }
}

function isLiteral(token: number, scanner: JSONScanner): boolean {
  if (token === TOKEN.number) {
    if (Number.isNaN(Number(scanner.getTokenValue()))) {
      throw new Found({ code: 'InvalidNumberFormat', offset: scanner.getTokenOffset() });
    }
    return true;
  }
  return token === TOKEN.nullKeyword || token === TOKEN.trueKeyword || token === TOKEN.falseKeyword;
}

/**
 * 0-based offset of the value at `path` in valid JSON `text`, or undefined when there is none.
 * A key given twice in one object counts where it last appears, because JSON.parse keeps the
 * last value; so the offset is that of the last value in the text whose path is `path`.
 */
export function valueOffset(
  text: string,
  path: ReadonlyArray<string | number>,
): number | undefined {
  const scanner = createScanner(text, true);
  // The key (object) or index (array) of the value being read in each open container.
  const keys: Array<string | number> = [];
  const isArray: boolean[] = [];
  let expectKey = false;
  let found: number | undefined;
  const startValue = () => {
    if (keys.length !== path.length) return;
    for (let i = 0; i < path.length; i++) if (keys[i] !== path[i]) return;
    found = scanner.getTokenOffset();
  };
  for (let token = scanner.scan() as number; token !== TOKEN.eof; token = scanner.scan()) {
    const depth = isArray.length;
    switch (token) {
      case TOKEN.openBrace:
      case TOKEN.openBracket:
        startValue();
        isArray.push(token === TOKEN.openBracket);
        // -1 matches no path segment: an object's key is only known once it has been read.
        keys.push(token === TOKEN.openBracket ? 0 : -1);
        expectKey = token === TOKEN.openBrace;
        break;
      case TOKEN.closeBrace:
      case TOKEN.closeBracket:
        isArray.pop();
        keys.pop();
        expectKey = false;
        break;
      case TOKEN.comma:
        if (depth > 0 && isArray[depth - 1]) keys[depth - 1] = (keys[depth - 1] as number) + 1;
        else expectKey = true;
        break;
      case TOKEN.colon:
        break;
      default:
        if (expectKey && depth > 0 && !isArray[depth - 1]) {
          keys[depth - 1] = scanner.getTokenValue();
          expectKey = false;
        } else {
          startValue();
        }
    }
  }
  return found;
}
