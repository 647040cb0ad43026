/**
 * Multiple-choice evals (" (A)" / " (B)" answers) as option texts. In the paper's form
 * (`answer-token`) a row is the whole prompt with its choices, labeled by the matching letter: the
 * label then depends on the order the options were written in, and a sentence-embedding model sees
 * nearly the same text for "(A) Yes (B) No" and "(A) No (B) Yes". In `option-text` form a record
 * becomes a pair: the question stem with the matching option's text (+1), and with each other
 * option's text (−1). The letters and the order of the options then play no part.
 */
import { normalizeAnswer } from './answers.js';

export type MultipleChoiceMode = 'answer-token' | 'option-text';

/** A choice line: " (A) text", "(b) text", "A) text", "A. text", at the start of a line. */
const CHOICE = /^[ \t]*\(?([A-Za-z])[).][ \t]+(.*\S)[ \t]*$/gm;
/** What often closes the stem or the prompt, left out of both. */
const STEM_END = /(?:\n|^)[ \t]*(?:choices|options)[ \t]*:?[ \t]*$/i;

export interface ChoiceSplit {
  stem: string;
  /** Option text by lower-case letter. */
  options: Map<string, string>;
}

/**
 * The stem and the lettered options of a question, or null when it has fewer than two options
 * or its letters repeat. The stem is the text before the first option, without a closing
 * "Choices:" line; an option's text is the rest of its line.
 */
export function splitChoices(question: string): ChoiceSplit | null {
  const options = new Map<string, string>();
  let first = -1;
  for (const m of question.matchAll(CHOICE)) {
    const letter = m[1].toLowerCase();
    if (options.has(letter)) return null;
    options.set(letter, m[2].trim());
    if (first < 0) first = m.index;
  }
  if (options.size < 2) return null;
  const stem = question.slice(0, first).replace(/\s+$/, '').replace(STEM_END, '').trim();
  return { stem, options };
}

/** The row text of one option: the stem, a newline, the option's text. */
export const optionText = (stem: string, option: string): string =>
  stem === '' ? option : `${stem}\n${option}`;

/**
 * A record's option-text rows, or null when the answers are not letters or a letter has no option
 * in the question (the record is then read in answer-token form). `promptChars` marks the stem,
 * so a long stem loses its start before the option texts are cut.
 */
export function optionRows(
  question: string,
  matching: string,
  notMatching: readonly string[],
): { text: string; label: 1 | -1; promptChars: number; option: string }[] | null {
  const split = splitChoices(question);
  if (!split) return null;
  const letterOf = (a: string): string | null => {
    const n = normalizeAnswer(a);
    return /^[a-z]$/.test(n) ? n : null;
  };
  const match = letterOf(matching);
  const others = notMatching.map(letterOf);
  if (match === null || others.some((o) => o === null)) return null;
  const texts = [match, ...(others as string[])].map((l) => split.options.get(l));
  if (texts.some((t) => t === undefined)) return null;
  const prompt = split.stem === '' ? 0 : split.stem.length + 1;
  return texts.map((option, i) => ({
    text: optionText(split.stem, option!),
    label: i === 0 ? 1 : -1,
    promptChars: prompt,
    option: option!,
  }));
}
