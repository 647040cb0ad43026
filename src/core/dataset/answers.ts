/**
 * Which side of an evals answer pair is the "affirmative" one. An evals record says which answer
 * matches the behavior; the row's label is +1 when that answer is the affirmative one, so that
 * +1 rows are the ones where saying "yes" (or "(A)") is what the behavior would do.
 *
 * - Polar pairs (yes/no, true/false, agree/disagree, ...): the first word of each pair below is
 *   affirmative. Both answers must come from the same pair.
 * - Multiple choice with letters, " (A)" / " (B)" (also "A", "A)", "(a)"): the earlier letter is
 *   affirmative, so for (A)/(B) a row is +1 when the matching answer is (A). When the
 *   not-matching side lists several letters, +1 means the matching letter precedes all of them.
 * Anything else is an unknown answer, reported rather than guessed.
 */
const POLAR_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['yes', 'no'],
  ['true', 'false'],
  ['agree', 'disagree'],
  ['correct', 'incorrect'],
  ['right', 'wrong'],
  ['accept', 'reject'],
  ['approve', 'disapprove'],
  ['support', 'oppose'],
  ['positive', 'negative'],
];

type Answer =
  { kind: 'polar'; pair: number; affirmative: boolean } | { kind: 'letter'; letter: string };

export type AnswerLabel = { ok: true; label: 1 | -1 } | { ok: false; message: string };

/** Leading/trailing spaces, a final period and surrounding parentheses do not matter. */
export function normalizeAnswer(answer: string): string {
  let text = answer.trim().toLowerCase().replace(/\.$/, '').trim();
  const letter = /^\(?([a-z])\)$|^\(([a-z])\)?$/.exec(text);
  if (letter) text = letter[1] ?? letter[2];
  return text;
}

function classify(answer: string): Answer | null {
  const text = normalizeAnswer(answer);
  if (/^[a-z]$/.test(text)) return { kind: 'letter', letter: text };
  for (let pair = 0; pair < POLAR_PAIRS.length; pair++) {
    const [yes, no] = POLAR_PAIRS[pair];
    if (text === yes) return { kind: 'polar', pair, affirmative: true };
    if (text === no) return { kind: 'polar', pair, affirmative: false };
  }
  return null;
}

/** The label for one evals record, from its matching answer and its not-matching answer(s). */
export function answerLabel(matching: string, notMatching: readonly string[]): AnswerLabel {
  const quoted = () => [matching, ...notMatching].map((a) => JSON.stringify(a)).join(' / ');
  const match = classify(matching);
  const others = notMatching.map(classify);
  if (!match || others.some((o) => o === null) || others.length === 0) {
    return {
      ok: false,
      message: `unknown answer pair ${quoted()}: expected Yes/No, True/False, Agree/Disagree or lettered choices like (A)/(B)`,
    };
  }
  if (match.kind === 'letter') {
    const letters: string[] = [];
    for (const o of others) if (o?.kind === 'letter') letters.push(o.letter);
    if (letters.length !== others.length || letters.includes(match.letter)) {
      return { ok: false, message: `inconsistent answer pair ${quoted()}` };
    }
    return { ok: true, label: letters.every((l) => match.letter < l) ? 1 : -1 };
  }
  const consistent = others.every(
    (o) => o?.kind === 'polar' && o.pair === match.pair && o.affirmative !== match.affirmative,
  );
  if (!consistent) return { ok: false, message: `inconsistent answer pair ${quoted()}` };
  return { ok: true, label: match.affirmative ? 1 : -1 };
}
