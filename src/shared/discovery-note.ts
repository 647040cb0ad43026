import type { DiscoveryReport } from '../core/report/types.js';

/**
 * One sentence saying that (and how) the behaviors were discovered, the same in every face: the
 * CLI summary, the Markdown and HTML reports, the webview header and the Problems panel.
 */
export const discoverySummary = (d: DiscoveryReport): string => {
  const why =
    d.reason === 'unlabeled'
      ? 'the input names no behaviors'
      : 'the discover-behaviors option asked';
  const how =
    d.criterion === 'silhouette'
      ? `k = ${d.k} by silhouette in ${d.kRange[0]}..${d.kRange[1]}`
      : `k = ${d.k} as set`;
  const unit = d.unit === 'pair' ? 'pair prompts' : 'rows';
  return (
    `Behaviors discovered (${why}): ${d.k} clusters of ${d.prompts} ${unit}, spherical k-means ` +
    `on their embeddings, ${how}, seed ${d.seed}; each named by its most distinctive terms and size.`
  );
};
