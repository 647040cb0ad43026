import { eng } from 'stopword';

/**
 * Words that name a turn of a transcript or are contraction fragments: frequent in every cluster of
 * chat data, so they would name none, but the stop-word list does not hold them.
 */
const EXTRA_STOP_WORDS = [
  'human',
  'assistant',
  'user',
  'system',
  // Pronouns and question words the stop-word list lacks.
  'she',
  'why',
  'when',
  'does',
  'will',
  'one',
  'someone',
  'anyone',
  'not',
  'just',
  'yes',
  'don',
  'doesn',
  'didn',
  'isn',
  'aren',
  'wasn',
  'won',
  'wouldn',
  'couldn',
  'shouldn',
  'let',
  'going',
  'know',
  'think',
  'want',
  'really',
  'okay',
  'sure',
  'thing',
  'things',
  'something',
  'anything',
];

const STOP_WORDS: ReadonlySet<string> = new Set([...eng, ...EXTRA_STOP_WORDS]);

/** Letters and digits, so "AI's" gives "ai" and "s" (dropped for being short). */
const WORD = /[\p{L}\p{N}]+/gu;

/** The terms of a text: lowercase words of 3 or more characters, stop-words and numbers removed. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD)) {
    const word = match[0];
    if (word.length < 3 || STOP_WORDS.has(word) || /^\p{N}+$/u.test(word)) continue;
    out.push(word);
  }
  return out;
}

/** Term counts per cluster, gathered one document at a time (the texts need not stay in memory). */
export class ClusterTermCounts {
  private readonly counts: Map<string, number>[];

  constructor(readonly clusters: number) {
    this.counts = Array.from({ length: clusters }, () => new Map<string, number>());
  }

  add(cluster: number, text: string): void {
    const map = this.counts[cluster];
    for (const term of terms(text)) map.set(term, (map.get(term) ?? 0) + 1);
  }

  /**
   * Each cluster's most distinctive terms by class-based TF-IDF (c-TF-IDF, as BERTopic defines
   * it): W(t, c) = tf(t, c) · log(1 + A / tf(t)), with tf(t, c) the count of term t in cluster c,
   * tf(t) its count over all clusters and A the mean number of terms per cluster. With two or
   * more clusters a term found in every one of them is skipped: it tells none apart, yet a word
   * every prompt has ("following", "statement" in a persona question) outscores the topic words
   * by its sheer count. Ties are broken alphabetically, so the names do not depend on the order
   * documents came in.
   */
  topTerms(count: number): string[][] {
    const total = new Map<string, number>();
    const clustersWith = new Map<string, number>();
    let words = 0;
    for (const map of this.counts) {
      for (const [term, n] of map) {
        total.set(term, (total.get(term) ?? 0) + n);
        clustersWith.set(term, (clustersWith.get(term) ?? 0) + 1);
        words += n;
      }
    }
    const meanWords = words / Math.max(1, this.clusters);
    const everywhere = (term: string): boolean =>
      this.clusters > 1 && clustersWith.get(term) === this.clusters;
    return this.counts.map((map) =>
      [...map]
        .filter(([term]) => !everywhere(term))
        .map(([term, n]) => ({ term, score: n * Math.log(1 + meanWords / total.get(term)!) }))
        .sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0))
        .slice(0, count)
        .map((t) => t.term),
    );
  }
}
