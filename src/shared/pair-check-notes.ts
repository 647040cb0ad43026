/**
 * How every face words the pair checks (CLI summary, Markdown, the webview and its HTML export,
 * diagnostics): the truncation line and a warning's file:line examples.
 */
import type { MixtureWarning, PairChecksReport } from '../core/report/types.js';
import { shownPosition } from './position.js';

/** "e.g. a.jsonl:3, a.jsonl:9, … (27 in all)" (Parquet rows as "a.parquet row 2"), or '' when the warning has no examples. */
export const examplesText = (w: MixtureWarning, shown = 3): string => {
  const ex = w.examples ?? [];
  if (ex.length === 0) return '';
  const list = ex.slice(0, shown).map((e) => shownPosition(e.file, e.line));
  const count = w.count ?? ex.length;
  const more = count > list.length ? `, … (${count} in all)` : '';
  return `e.g. ${list.join(', ')}${more}`;
};

/** One sentence on how many texts the model's token limit cut, or undefined when none was. */
export const truncationNote = (
  p: PairChecksReport | undefined,
  rows: number,
): string | undefined => {
  if (!p || !p.truncation.measured || p.truncation.truncatedRows === 0) return undefined;
  const t = p.truncation;
  const limit = t.maxTokens === undefined ? "the model's limit" : `${t.maxTokens} tokens`;
  return (
    `Truncation: ${t.truncatedRows} of ${rows} texts are longer than ${limit}; ` +
    `${t.promptCutRows} lost only the start of their prompt (the compared response kept whole), ` +
    `${t.responseCutRows} may have lost compared text.`
  );
};
