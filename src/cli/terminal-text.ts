import { escapeControlChars, escapeControlCharsButNewlines } from '../core/text/control-chars.js';

// Data reaches the terminal: behavior names, file names, messages quoting a line. Everything the
// CLI prints passes through these, so no control character in the data acts on the terminal.

/** One field on one line: every control character escaped, newlines included. */
export const terminalLine = escapeControlChars;

/** Text of several lines the CLI composed: its own newlines kept, every other control escaped. */
export const terminalText = escapeControlCharsButNewlines;
