/**
 * The layers' import arrows (docs/architecture.md, "Faces read only the report"): the core never
 * imports the faces' shared modules or vscode, the webview protocol carries report types only,
 * the faces never reach the embeddings or the source files, and the faces' modules form no loop.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contributes } from '../../package.json';
import { DEFAULT_DISCOVER_MODE } from '../../src/core/discovery/discover-mode.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const sources = (dir: string): string[] =>
  readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return sources(rel);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [rel] : [];
  });

/** Every module specifier a file imports or re-exports (type-only ones included). */
const specifiers = (file: string): string[] => {
  const text = readFileSync(path.join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'/g)].map(
    (m) => m[1],
  );
};

/** A relative specifier as a repository path (.js written for .ts). */
const resolved = (from: string, spec: string): string | null =>
  spec.startsWith('.')
    ? path.normalize(path.join(path.dirname(from), spec)).replace(/\.js$/, '.ts')
    : null;

describe('layers', () => {
  it('the core imports neither src/shared nor vscode', () => {
    const offending = sources('src/core').flatMap((f) =>
      specifiers(f)
        .filter((s) => s === 'vscode' || resolved(f, s)?.startsWith('src/shared/'))
        .map((s) => `${f} → ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('the analysis never imports the report layer (report types derive from the science types)', () => {
    const offending = sources('src/core/analysis').flatMap((f) =>
      specifiers(f)
        .filter((s) => resolved(f, s)?.startsWith('src/core/report/'))
        .map((s) => `${f} → ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('the webview protocol imports report types only', () => {
    const file = 'src/shared/protocol.ts';
    const text = readFileSync(path.join(root, file), 'utf8');
    const targets = specifiers(file).map((s) => resolved(file, s));
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) expect(t).toMatch(/^src\/core\/report\//);
    expect(text).not.toMatch(/^import (?!type )/m);
  });

  it('no face builds the sidecar, reads the embeddings or re-reads the sources itself', () => {
    const faces = [...sources('src/cli'), ...sources('src/extension'), ...sources('webview')];
    const offending = faces.flatMap((f) => {
      const text = readFileSync(path.join(root, f), 'utf8');
      const names = /\b(buildSidecar|writeRebalancedJsonl|writeEmbeddingsNpy|readRowContents)\b/g;
      const targets = specifiers(f).map((s) => resolved(f, s) ?? s);
      return [
        ...[...text.matchAll(names)].map((m) => `${f}: ${m[1]}`),
        ...targets
          .filter((t) =>
            /^src\/core\/(report\/sidecar|report\/neighbours|io\/rebalance|io\/npy)\.ts$/.test(t),
          )
          .map((t) => `${f} → ${t}`),
      ];
    });
    expect(offending).toEqual([]);
  });

  it("the faces' modules, the shared ones and the report layer import in one direction", () => {
    const files = [
      ...sources('webview'),
      ...sources('src/shared'),
      ...sources('src/extension'),
      ...sources('src/cli'),
      ...sources('src/core/report'),
      'src/core/run.ts',
    ];
    const inside = new Set(files);
    const edges = new Map(
      files.map((f) => [
        f,
        specifiers(f)
          .map((s) => resolved(f, s))
          .filter((t): t is string => t !== null && inside.has(t)),
      ]),
    );
    const state = new Map<string, 'open' | 'done'>();
    const loops: string[] = [];
    const visit = (f: string, trail: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        loops.push([...trail.slice(trail.indexOf(f)), f].join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of edges.get(f) ?? []) visit(t, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(loops).toEqual([]);
  });

  it("the core's discovery default is the setting's default in package.json", () => {
    const declared = contributes.configuration.properties['preferenceLens.discoverBehaviors'];
    expect(DEFAULT_DISCOVER_MODE).toBe(declared.default);
  });
});
