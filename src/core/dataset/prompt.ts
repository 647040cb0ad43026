import { promptEnd } from './records.js';

const ASSISTANT_MARKER = /\n\nAssistant:\s*$/;

/**
 * The prompt of a pair, from the texts its two rows embed: what they share before their replies
 * differ. For transcripts (HH-RLHF, TRL messages) that is the conversation up to the last
 * "\n\nAssistant:" both share, without the marker (promptEnd); otherwise the shared beginning cut
 * back to a word boundary, so a reply's first words shared by both sides ("I think") are kept
 * only when whole. Works from the rows alone, whatever file format they were read from.
 */
export function pairPrompt(chosen: string, rejected: string): string {
  const end = promptEnd(chosen, rejected);
  let prompt = chosen.slice(0, end);
  if (ASSISTANT_MARKER.test(prompt)) return prompt.replace(ASSISTANT_MARKER, '').trim();
  // Not at a marker: the shared prefix may end inside a word both replies begin with.
  const wordGoesOn = (text: string): boolean => end < text.length && /\S/.test(text[end]);
  if (/\S$/.test(prompt) && (wordGoesOn(chosen) || wordGoesOn(rejected))) {
    const cut = prompt.search(/\s\S*$/);
    prompt = cut >= 0 ? prompt.slice(0, cut) : '';
  }
  return prompt.trim();
}
