/**
 * "Analyze priority with precomputed embeddings…" in the built extension (dist/extension.js), as
 * extension-activation.test.ts loads it: VS Code is not available here, so `vscode` is a stand-in
 * whose dialogs answer with the test's files, whose progress runs the task with a cancellation
 * token, and whose diagnostic collection records what it is given; the rest (run control,
 * pipeline, report storage) is the real bundle. The expected numbers come from the CLI's
 * `analyze --embeddings` on the same files, a separate entry point.
 */
import { execFile, execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { npyHeader } from '../../src/core/io/npy.js';
import type { Report } from '../../src/core/report/types.js';
import pkg from '../../package.json';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bundle = path.join(root, 'dist/extension.js');
const bin = path.join(root, 'bin/preference-lens.js');
const BEHAVIORS = ['agreeableness', 'risk-seeking', 'subscribes-to-total-utilitarianism'];
const ROWS_PER_FILE = 60;
const DIM = 24;

interface Recorded {
  diagnostics: Map<string, { message: string; severity: number; line: number }[]>;
  errors: string[];
  infos: string[];
  forks: number;
  required: string[];
}

const uri = (p: string) => ({
  scheme: 'file',
  fsPath: p,
  path: p,
  toString: () => `file://${p}`,
  with: () => uri(p),
});

/** Inert for everything the test does not look at (the webview, hovers, the status bar). */
const inert = (): unknown =>
  new Proxy(function () {}, {
    get: (_t, prop) => (prop === 'then' || typeof prop === 'symbol' ? undefined : inert()),
    set: () => true,
    apply: () => inert(),
    construct: () => inert() as object,
  });

const disposable = () => ({ dispose: () => undefined });

/** The report panel: a webview that takes its page and messages and never answers. */
const webviewPanel = () => ({
  webview: {
    html: '',
    options: {},
    cspSource: 'vscode-webview:',
    asWebviewUri: (u: unknown) => u,
    postMessage: async () => true,
    onDidReceiveMessage: disposable,
  },
  onDidDispose: disposable,
  onDidChangeViewState: disposable,
  reveal: () => undefined,
  dispose: () => undefined,
  visible: true,
});

interface Script {
  /** What each showOpenDialog call returns, in order. */
  dialogs: string[][];
  /** The quick pick's answer: the label of the item to choose. */
  quickPick: string;
  /** Cancel the run once it reports this many progress updates (undefined: never). */
  cancelAfter?: number;
}

const settings = pkg.contributes.configuration.properties as Record<string, { default: unknown }>;

const vscodeModule = (rec: Recorded, script: Script, commands: Map<string, unknown>) => {
  const dialogs = [...script.dialogs];
  class Position {
    constructor(
      readonly line: number,
      readonly character: number,
    ) {}
  }
  class Range {
    readonly start: Position;
    constructor(l1: number, c1: number, l2: number, c2: number) {
      this.start = new Position(l1, c1);
      void new Position(l2, c2);
    }
  }
  class Diagnostic {
    source?: string;
    code?: unknown;
    constructor(
      readonly range: Range,
      readonly message: string,
      readonly severity: number,
    ) {}
  }
  const concrete: Record<string, unknown> = {
    Uri: {
      file: uri,
      joinPath: (base: { fsPath: string }, ...parts: string[]) =>
        uri(path.join(base.fsPath, ...parts)),
    },
    Position,
    Range,
    Diagnostic,
    DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    commands: {
      registerCommand: (name: string, callback: unknown) => {
        commands.set(name, callback);
        return { dispose: () => undefined };
      },
      executeCommand: async () => undefined,
    },
    workspace: new Proxy(
      {
        isTrusted: true,
        workspaceFolders: undefined,
        getConfiguration: () => ({
          inspect: (key: string) => ({ defaultValue: settings[`preferenceLens.${key}`]?.default }),
          get: (_key: string, fallback: unknown) => fallback,
        }),
      } as Record<string, unknown>,
      { get: (t, p: string) => (p in t ? t[p] : inert()) },
    ),
    languages: new Proxy(
      {
        createDiagnosticCollection: () => ({
          clear: () => rec.diagnostics.clear(),
          delete: () => undefined,
          dispose: () => undefined,
          set: (u: { fsPath: string }, list: Diagnostic[]) =>
            rec.diagnostics.set(
              u.fsPath,
              list.map((d) => ({
                message: d.message,
                severity: d.severity,
                line: d.range.start.line,
              })),
            ),
        }),
      } as Record<string, unknown>,
      { get: (t, p: string) => (p in t ? t[p] : inert()) },
    ),
    window: new Proxy(
      {
        showOpenDialog: async () => dialogs.shift()?.map(uri),
        createWebviewPanel: () => webviewPanel(),
        showQuickPick: async (items: { label: string }[]) =>
          items.find((i) => i.label === script.quickPick),
        showErrorMessage: async (m: string) => void rec.errors.push(m),
        showInformationMessage: async (m: string) => void rec.infos.push(m),
        showWarningMessage: async (m: string) => void rec.errors.push(m),
        withProgress: async (
          _options: unknown,
          task: (progress: unknown, token: unknown) => Promise<unknown>,
        ) => {
          const events = new EventEmitter();
          let cancelled = false;
          let reports = 0;
          const token = {
            get isCancellationRequested() {
              return cancelled;
            },
            onCancellationRequested: (listener: () => void) => {
              events.on('cancel', listener);
              return { dispose: () => events.off('cancel', listener) };
            },
          };
          const progress = {
            report: () => {
              reports++;
              if (script.cancelAfter !== undefined && reports >= script.cancelAfter && !cancelled) {
                cancelled = true;
                events.emit('cancel');
              }
            },
          };
          return task(progress, token);
        },
      } as Record<string, unknown>,
      { get: (t, p: string) => (p in t ? t[p] : inert()) },
    ),
  };
  // esbuild's ESM interop copies the module's own keys: list every name the sources use.
  const names = new Set(Object.keys(concrete));
  for (const file of readdirSync(path.join(root, 'src/extension'))) {
    const text = readFileSync(path.join(root, 'src/extension', file), 'utf8');
    for (const m of text.matchAll(/vscode\.([A-Za-z]+)/g)) names.add(m[1]);
  }
  const value = (p: string): unknown => (p in concrete ? concrete[p] : inert());
  return new Proxy(concrete, {
    get: (_t, p) => (typeof p === 'string' ? value(p) : undefined),
    ownKeys: () => [...names],
    getOwnPropertyDescriptor: (_t, p) => ({
      configurable: true,
      enumerable: true,
      value: value(String(p)),
    }),
  });
};

/** Activates the bundle with the stand-in, runs the command, and returns what it recorded. */
const runCommand = async (script: Script, storage: string, args?: unknown): Promise<Recorded> => {
  const rec: Recorded = { diagnostics: new Map(), errors: [], infos: [], forks: 0, required: [] };
  const commands = new Map<string, unknown>();
  const moduleApi = Module as unknown as {
    _load: (request: string, ...rest: unknown[]) => unknown;
  };
  const load = moduleApi._load;
  const childProcess = Module.createRequire(__filename)('node:child_process') as {
    fork: (...a: unknown[]) => unknown;
  };
  const fork = childProcess.fork;
  childProcess.fork = (...a: unknown[]) => {
    rec.forks++;
    return fork(...a);
  };
  moduleApi._load = function (request: string, ...rest: unknown[]) {
    rec.required.push(request);
    if (request === 'vscode') return vscodeModule(rec, script, commands);
    return load.call(this, request, ...rest);
  };
  // A fresh bundle per run: it binds `vscode` when it loads.
  delete Module.createRequire(__filename).cache[bundle];
  try {
    const extension = Module.createRequire(__filename)(bundle) as {
      activate(ctx: unknown): void;
      deactivate(): void;
    };
    const memento = new Map<string, unknown>();
    extension.activate({
      subscriptions: [],
      extensionUri: uri(root),
      storageUri: uri(storage),
      globalStorageUri: uri(storage),
      workspaceState: {
        get: (k: string) => memento.get(k),
        update: async (k: string, v: unknown) => void memento.set(k, v),
        keys: () => [...memento.keys()],
      },
    });
    const command = commands.get('preferenceLens.analyzePrecomputed') as (a?: unknown) => unknown;
    expect(command).toBeTypeOf('function');
    await command(args);
    extension.deactivate();
  } finally {
    moduleApi._load = load;
    childProcess.fork = fork;
  }
  return rec;
};

/** A seeded generator (mulberry32): the vectors are the same on every run. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

let work: string;
let data: string;
let rowsFile: string;
let shards: string;
let cliReport: Report;

beforeAll(async () => {
  if (!existsSync(bundle))
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  work = await mkdtemp(path.join(tmpdir(), 'pl-ext-precomputed-'));
  data = path.join(work, 'persona');
  await mkdir(data);
  for (const b of BEHAVIORS) {
    const lines = (await readFile(path.join(root, 'examples/persona', `${b}.jsonl`), 'utf8'))
      .split('\n')
      .slice(0, ROWS_PER_FILE);
    await writeFile(path.join(data, `${b}.jsonl`), lines.join('\n') + '\n');
  }
  rowsFile = path.join(work, 'rows.parquet');
  await run(process.execPath, [bin, 'export-rows', data, '--out', rowsFile], { cwd: root });
  // Vectors with a label direction per behavior, of strength 0.8, 0.4 and none: the last one
  // cannot be told apart, which the report warns about.
  const n = BEHAVIORS.length * ROWS_PER_FILE;
  const next = random(16);
  const matrix = new Float32Array(n * DIM);
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / ROWS_PER_FILE);
    const sign = i % 2 === 0 ? 1 : -1;
    for (let k = 0; k < DIM; k++)
      matrix[i * DIM + k] = next() - 0.5 + (k === b ? [0.8, 0.4, 0][b] * sign : 0);
  }
  shards = path.join(work, 'shards');
  await mkdir(shards);
  const half = Math.floor(n / 2);
  for (const [name, from, to] of [
    ['part-0', 0, half],
    ['part-1', half, n],
  ] as const) {
    const ids = BigInt64Array.from({ length: to - from }, (_, k) => BigInt(from + k));
    await writeFile(
      path.join(shards, `${name}.npy`),
      Buffer.concat([
        npyHeader([to - from, DIM]),
        Buffer.from(matrix.buffer, from * DIM * 4, (to - from) * DIM * 4),
      ]),
    );
    await writeFile(
      path.join(shards, `${name}.row_id.npy`),
      Buffer.concat([npyHeader([to - from], '<i8'), Buffer.from(ids.buffer)]),
    );
  }
  const json = path.join(work, 'cli.json');
  await run(
    process.execPath,
    [bin, 'analyze', '--embeddings', shards, '--rows', rowsFile, '--json', json],
    { cwd: root, maxBuffer: 64 << 20 },
  );
  cliReport = JSON.parse(await readFile(json, 'utf8')) as Report;
});

/** The report the run stored (the run control does not wait for the write). */
const storedReport = async (storage: string): Promise<Report> => {
  let name: string | undefined;
  for (let i = 0; i < 100 && !name; i++) {
    [name] = (await readdir(storage)).filter((f) => f.endsWith('.json'));
    if (!name) await new Promise((r) => setTimeout(r, 50));
  }
  if (!name) throw new Error(`no report stored in ${storage}`);
  return (JSON.parse(await readFile(path.join(storage, name), 'utf8')) as { report: Report })
    .report;
};

describe('Analyze priority with precomputed embeddings… (the built extension)', () => {
  it('picks rows and shards in dialogs, gives the CLI’s report and marks the datasets, without the embedding child or onnxruntime', async () => {
    const storage = await mkdtemp(path.join(work, 'storage-'));
    const rec = await runCommand(
      { dialogs: [[rowsFile], [shards]], quickPick: 'Without answer rows' },
      storage,
    );
    expect(rec.errors.join('\n')).toBe('');
    expect(rec.forks).toBe(0);
    expect(rec.required).not.toContain('onnxruntime-node');
    const report = await storedReport(storage);
    expect(report.behaviors).toEqual(cliReport.behaviors);
    expect(report.priority).toEqual(cliReport.priority);
    expect(report.inputs).toEqual(cliReport.inputs);
    expect(report.model.deviceReason).toMatch(/precomputed embeddings: 2 shard/);
    // Markers go to the dataset files the rows file names, not to the rows file.
    const marked = [...rec.diagnostics.keys()].sort();
    expect(marked.length).toBeGreaterThan(0);
    const datasets = BEHAVIORS.map((b) => path.join(data, `${b}.jsonl`));
    for (const file of marked) expect(datasets).toContain(file);
    // Each warning of the CLI's report is a marker on its behavior's file.
    const warnings = cliReport.behaviors.flatMap((b) => b.warnings.map((w) => ({ b, w })));
    expect(warnings.length).toBeGreaterThan(0);
    for (const { b, w } of warnings) {
      const file = path.join(data, `${b.name}.jsonl`);
      const messages = (rec.diagnostics.get(file) ?? []).map((d) => d.message);
      expect(messages.some((m) => m.startsWith(`${b.name}: ${w.message}`))).toBe(true);
    }
  });

  it('stops at the user’s cancel: no report, no markers, one "cancelled" notice', async () => {
    const storage = await mkdtemp(path.join(work, 'storage-'));
    const rec = await runCommand({ dialogs: [], quickPick: '', cancelAfter: 2 }, storage, {
      rows: rowsFile,
      embeddings: shards,
    });
    expect(rec.errors).toEqual([]);
    expect(rec.infos).toEqual(['Preference Lens: analysis cancelled.']);
    expect(rec.diagnostics.size).toBe(0);
    expect(existsSync(storage) ? await readdir(storage) : []).toEqual([]);
  });

  it('names the shard with a bad row id and does not blame an embedding process', async () => {
    const bad = path.join(work, 'bad');
    await mkdir(bad);
    const ids = BigInt64Array.from([0n, 0n]);
    await writeFile(
      path.join(bad, 'only.npy'),
      Buffer.concat([npyHeader([2, DIM]), Buffer.alloc(2 * DIM * 4)]),
    );
    await writeFile(
      path.join(bad, 'only.row_id.npy'),
      Buffer.concat([npyHeader([2], '<i8'), Buffer.from(ids.buffer)]),
    );
    const storage = await mkdtemp(path.join(work, 'storage-'));
    const rec = await runCommand({ dialogs: [], quickPick: '' }, storage, {
      rows: rowsFile,
      embeddings: bad,
    });
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toContain(path.join(bad, 'only.npy'));
    expect(rec.errors[0]).toMatch(/row id 0 is duplicated/);
    expect(rec.errors[0]).not.toMatch(/embedding process/);
    expect(rec.diagnostics.size).toBe(0);
  });

  it('a cancelled dialog runs nothing', async () => {
    const storage = await mkdtemp(path.join(work, 'storage-'));
    const rec = await runCommand({ dialogs: [[rowsFile]], quickPick: '' }, storage);
    expect(rec.errors).toEqual([]);
    expect(rec.infos).toEqual([]);
    expect(rec.diagnostics.size).toBe(0);
  });
});
