// Text from the data (behavior names, file paths, quoted lines) is shown to people: in a terminal,
// where a control character acts (ESC starts an OSC title or a cursor move, CR overwrites the
// line, a bidi override reorders it), and in reports, where a newline ends a table row or a code
// span. Shown escaped instead, as a JSON string would write it.

/** C0 controls, DEL, C1 controls, and the bidirectional marks, embeddings, overrides, isolates. */
const CONTROL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE =
  // eslint-disable-next-line no-control-regex -- as above
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const visible = (c: string): string => {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** One field on one line: every control character escaped, newlines included. */
export const escapeControlChars = (text: string): string => text.replace(CONTROL, visible);

/** Several lines: the newlines kept, every other control character escaped. */
export const escapeControlCharsButNewlines = (text: string): string =>
  text.replace(CONTROL_BUT_NEWLINE, visible);
