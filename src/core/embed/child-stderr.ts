// What the embedding child printed, boiled down to the line worth quoting when it dies. Its stderr
// also carries onnxruntime's own log (coloured, e.g. the CUDA provider failing to load when `auto`
// falls back to the CPU), which is never the reason the process died.

/** CSI sequences (colours, cursor moves) and OSC sequences (titles, links). */
// eslint-disable-next-line no-control-regex -- escape sequences are what is removed
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
/** onnxruntime's log line: "2026-12-07 09:28:14.949809068 [E:onnxruntime:…". */
const ORT_LOG = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \[[VIWEF]:onnxruntime:/;
const ERROR_LINE =
  /\b([A-Z]\w*Error|Error|FATAL|fatal error|Aborted|Segmentation fault|panic|out of memory)\b/;

export const stripAnsi = (text: string): string => text.replace(ANSI, '');

/**
 * The child's last error line: colours stripped, onnxruntime's log left out, the last line that
 * reads as an error preferred over the last line at all. Undefined when nothing is left.
 */
export const lastErrorLine = (stderr: string): string | undefined => {
  const lines = stripAnsi(stderr)
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !ORT_LOG.test(l));
  for (let i = lines.length - 1; i >= 0; i--) if (ERROR_LINE.test(lines[i])) return lines[i];
  return lines.at(-1);
};
