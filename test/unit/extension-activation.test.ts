/**
 * Activation must stay cheap: loading and activating the built extension must not load
 * onnxruntime-node, transformers.js, sharp or the model (they load on the first analysis).
 * VS Code is not available here, so `vscode` is an inert stand-in that records which API calls
 * activation made; everything else is the real bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import Module from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const bundle = path.join(root, 'dist/extension.js');
const HEAVY = ['onnxruntime-node', 'onnxruntime-common', '@huggingface/transformers', 'sharp'];

type Calls = { path: string; args: unknown[] }[];

/** A value that accepts any property access, call or construction and records the calls. */
const inert = (calls: Calls, at: string): unknown =>
  new Proxy(function () {}, {
    get: (_t, prop) =>
      prop === 'then'
        ? undefined
        : typeof prop === 'symbol'
          ? undefined
          : inert(calls, `${at}.${prop}`),
    set: () => true,
    apply: (_t, _this, args: unknown[]) => {
      calls.push({ path: at, args });
      return inert(calls, `${at}()`);
    },
    construct: (_t, args: unknown[]) => {
      calls.push({ path: `new ${at}`, args });
      return inert(calls, `new ${at}()`) as object;
    },
  });

/**
 * The `vscode` module: esbuild's ESM interop copies the module's own keys, so the stand-in lists
 * the names the extension's sources use.
 */
const vscodeModule = (calls: Calls): object => {
  const names = new Set<string>();
  for (const file of readdirSync(path.join(root, 'src/extension'))) {
    const text = readFileSync(path.join(root, 'src/extension', file), 'utf8');
    for (const m of text.matchAll(/vscode\.([A-Za-z]+)/g)) names.add(m[1]);
  }
  return new Proxy(
    {},
    {
      get: (_t, prop) => (typeof prop === 'string' ? inert(calls, `vscode.${prop}`) : undefined),
      ownKeys: () => [...names],
      getOwnPropertyDescriptor: (_t, prop) => ({
        configurable: true,
        enumerable: true,
        value: inert(calls, `vscode.${String(prop)}`),
      }),
    },
  );
};

beforeAll(() => {
  if (!existsSync(bundle))
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
});

describe('extension activation', () => {
  it('registers the command and providers without loading the model runtime', () => {
    const calls: Calls = [];
    const required: string[] = [];
    const moduleApi = Module as unknown as {
      _load: (request: string, ...rest: unknown[]) => unknown;
    };
    const load = moduleApi._load;
    moduleApi._load = function (request: string, ...rest: unknown[]) {
      required.push(request);
      if (request === 'vscode') return vscodeModule(calls);
      return load.call(this, request, ...rest);
    };
    try {
      const extension = Module.createRequire(__filename)(bundle) as {
        activate(ctx: unknown): void;
        deactivate(): void;
      };
      const context = {
        subscriptions: [] as unknown[],
        extensionUri: inert(calls, 'extensionUri'),
        storageUri: undefined,
        globalStorageUri: inert(calls, 'globalStorageUri'),
      };
      extension.activate(context);
      expect(context.subscriptions.length).toBeGreaterThan(0);
      extension.deactivate();
    } finally {
      moduleApi._load = load;
    }
    const registered = calls
      .filter((c) => c.path === 'vscode.commands.registerCommand')
      .map((c) => c.args[0]);
    expect(registered).toContain('preferenceLens.analyze');
    expect(registered).toContain('preferenceLens.analyzePrecomputed');
    expect(calls.some((c) => c.path === 'vscode.window.registerWebviewPanelSerializer')).toBe(true);
    expect(calls.some((c) => c.path === 'vscode.languages.registerHoverProvider')).toBe(true);
    expect(calls.some((c) => c.path === 'vscode.languages.registerCodeActionsProvider')).toBe(true);
    for (const heavy of HEAVY) expect(required).not.toContain(heavy);
    // The pipeline and the embedder client (which forks the child) initialise on first use only.
    expect(required).not.toContain('node:child_process');
    expect(required.some((r) => r.includes('embed-child'))).toBe(false);
  });

  it('keeps the model runtime in the embedding child, outside the extension host bundle', async () => {
    const code = await readFile(bundle, 'utf8');
    const child = await readFile(path.join(root, 'dist/embed-child.js'), 'utf8');
    for (const heavy of HEAVY) expect(code).not.toContain(`require("${heavy}")`);
    expect(HEAVY.some((h) => child.includes(`require("${h}")`))).toBe(true);
  });
});
