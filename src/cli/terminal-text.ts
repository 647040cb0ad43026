// Data reaches the terminal: behavior names, file names, messages quoting a line. A control
// character in them (ESC starting an OSC title or a cursor move, CR overwriting the line, a bidi
// override reordering it) must print as visible text, never act on the terminal.

/** C0 controls, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
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
export const terminalLine = (text: string): string => text.replace(CONTROL, visible);

/** Text of several lines the CLI composed: its own newlines kept, every other control escaped. */
export const terminalText = (text: string): string => text.replace(CONTROL_BUT_NEWLINE, visible);
