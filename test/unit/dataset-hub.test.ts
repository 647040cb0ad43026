import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readDataset, readDatasets } from '../../src/core/dataset/index.js';
import {
  hubCacheFolder,
  hubListUrl,
  parseHubUri,
  resolveHubDataset,
} from '../../src/core/dataset/hub.js';

// A stand-in for the Hub, serving the real Parquet shards of test/fixtures/formats/folder (the
// first 40 HH-RLHF pairs, written by pyarrow) in the Hub's URL layout: the list route answers
// with shard URLs that redirect to the refs/convert/parquet branch, as the Hub's do. Untested
// against the real Hub: there is no network here.
const ROOT = path.resolve(import.meta.dirname, '../..');
const SHARDS = ['train-00000-of-00002.parquet', 'train-00001-of-00002.parquet'].map((f) =>
  path.join(ROOT, 'test/fixtures/formats/folder', f),
);
const HH = path.join(ROOT, 'examples/hh-rlhf/harmless-base-test-first300.jsonl');
const LIST = '/api/datasets/Anthropic/hh-rlhf/parquet/default/test';

let server: Server;
let base: string;
let requests: string[] = [];
/** When set, shard `i` answers HTTP 500 (a download cut short). */
let failShard: number | undefined;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'pl-hub-'));
  const bytes = await Promise.all(SHARDS.map((f) => readFile(f)));
  server = createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    if (url === LIST) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify([`${base}${LIST}/0.parquet`, `${base}${LIST}/1.parquet`]));
      return;
    }
    const api = /^\/api\/datasets\/Anthropic\/hh-rlhf\/parquet\/default\/test\/(\d)\.parquet$/.exec(
      url,
    );
    if (api) {
      res.statusCode = 302;
      res.setHeader(
        'location',
        `/datasets/Anthropic/hh-rlhf/resolve/refs%2Fconvert%2Fparquet/default/test/000${api[1]}.parquet`,
      );
      res.end();
      return;
    }
    const file = /refs%2Fconvert%2Fparquet\/default\/test\/000(\d)\.parquet$/.exec(url);
    if (file && Number(file[1]) !== failShard) {
      res.end(bytes[Number(file[1])]);
      return;
    }
    res.statusCode = file ? 500 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
  failShard = undefined;
});

const expectedTexts = async () =>
  (await readDataset(HH)).examples.filter((e) => e.line <= 40).map((e) => e.text);

describe('hf:// dataset ids', () => {
  it('parses id, config and split, with the defaults of the Hub', () => {
    expect(parseHubUri('hf://Anthropic/hh-rlhf@harmless-base/test')).toEqual({
      id: 'Anthropic/hh-rlhf',
      config: 'harmless-base',
      split: 'test',
    });
    expect(parseHubUri('hf://datasets/trl-lib/ultrafeedback_binarized')).toEqual({
      id: 'trl-lib/ultrafeedback_binarized',
      config: 'default',
      split: 'train',
    });
    for (const bad of ['hf://hh-rlhf', 'hf://a/b/c/d', 'hf://a/../b', 'hf://a/b@/test']) {
      expect(() => parseHubUri(bad)).toThrow('expected hf://owner/name[@config][/split]');
    }
  });

  it('builds the list route and the cache folder from the parts', () => {
    const ref = parseHubUri('hf://Anthropic/hh-rlhf@harmless-base/test');
    expect(hubListUrl(ref, 'https://huggingface.co')).toBe(
      'https://huggingface.co/api/datasets/Anthropic/hh-rlhf/parquet/harmless-base/test',
    );
    expect(hubCacheFolder(ref, '/c')).toBe(
      path.join('/c', 'Anthropic', 'hh-rlhf', 'harmless-base', 'test'),
    );
  });
});

describe('Hub splits through the dataset cache', () => {
  it('downloads nothing when downloads are off, and says how to allow them', async () => {
    const cacheDir = path.join(work, 'off');
    await expect(
      readDatasets(['hf://Anthropic/hh-rlhf/test'], { hub: { cacheDir, endpoint: base } }),
    ).rejects.toThrow(
      /not in the dataset cache .*downloading is off\. Allow it \(CLI --allow-download/,
    );
    expect(requests).toEqual([]);
  });

  it('downloads the shards once, then reads them from the cache without the network', async () => {
    const cacheDir = path.join(work, 'cache');
    const hub = { cacheDir, endpoint: base, allowDownload: true };
    const files = await readDatasets(['hf://Anthropic/hh-rlhf/test'], { hub });
    expect(requests).toEqual([
      LIST,
      `${LIST}/0.parquet`,
      '/datasets/Anthropic/hh-rlhf/resolve/refs%2Fconvert%2Fparquet/default/test/0000.parquet',
      `${LIST}/1.parquet`,
      '/datasets/Anthropic/hh-rlhf/resolve/refs%2Fconvert%2Fparquet/default/test/0001.parquet',
    ]);
    const folder = path.join(cacheDir, 'Anthropic', 'hh-rlhf', 'default', 'test');
    expect(files.map((f) => f.file)).toEqual([
      path.join(folder, 'test-00000-of-00002.parquet'),
      path.join(folder, 'test-00001-of-00002.parquet'),
    ]);
    const rows = files.flatMap((f) => f.examples);
    expect(rows.map((e) => e.text)).toEqual(await expectedTexts());
    // The split is the behavior; a row's position is its shard and row there.
    expect(new Set(rows.map((e) => e.behavior))).toEqual(new Set(['test']));
    expect(rows[40]).toMatchObject({ file: files[1].file, line: 1 });

    requests = [];
    const again = await readDatasets(['hf://Anthropic/hh-rlhf/test'], {
      hub: { cacheDir, endpoint: 'http://127.0.0.1:9' },
    });
    expect(requests).toEqual([]);
    expect(again.flatMap((f) => f.examples).map((e) => e.text)).toEqual(await expectedTexts());
  });

  it('names the Hub it could not reach (offline) and a split it does not have', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const cacheDir = path.join(work, 'offline');
    await expect(
      resolveHubDataset('hf://Anthropic/hh-rlhf/test', {
        allowDownload: true,
        cacheDir,
        endpoint: `http://127.0.0.1:${port}`,
      }),
    ).rejects.toThrow(
      `hf://Anthropic/hh-rlhf/test: cannot reach the Hugging Face Hub at http://127.0.0.1:${port}`,
    );
    await expect(
      resolveHubDataset('hf://Anthropic/hh-rlhf/validation', {
        allowDownload: true,
        cacheDir,
        endpoint: base,
      }),
    ).rejects.toThrow('no Parquet conversion of config "default", split "validation"');
  });

  it('never takes a download cut short for a cached split', async () => {
    const cacheDir = path.join(work, 'cut');
    failShard = 1;
    await expect(
      resolveHubDataset('hf://Anthropic/hh-rlhf/test', {
        allowDownload: true,
        cacheDir,
        endpoint: base,
      }),
    ).rejects.toThrow('failed: HTTP 500');
    await expect(
      resolveHubDataset('hf://Anthropic/hh-rlhf/test', { allowDownload: false, cacheDir }),
    ).rejects.toThrow('not in the dataset cache');
  });
});

describe('the extension', () => {
  it('downloads a Hub split only when a trusted workspace or the user allows it', async () => {
    const { hubAccess, readSettings } = await import('../../src/extension/config.js');
    // A workspace that turns downloads on by its own settings (preferenceLens.allowDownload).
    const levels: Record<string, unknown> = {
      allowDownload: { defaultValue: false, workspaceValue: true },
    };
    const settings = (trusted: boolean) =>
      readSettings(<T>(key: string) => levels[key] as { defaultValue?: T } | undefined, trusted);
    const uri = 'hf://Anthropic/hh-rlhf/test';
    const restricted = { ...hubAccess(settings(false), path.join(work, 'ext')), endpoint: base };
    await expect(resolveHubDataset(uri, restricted)).rejects.toThrow('downloading is off');
    expect(requests).toEqual([]);
    const trusted = { ...hubAccess(settings(true), path.join(work, 'ext')), endpoint: base };
    expect(await resolveHubDataset(uri, trusted)).toHaveLength(2);
    expect(requests[0]).toBe(LIST);
  });
});

describe('the CLI', () => {
  const run = promisify(execFile);
  const bin = path.join(ROOT, 'bin/preference-lens.js');
  const cli = async (args: string[], env: Record<string, string>) => {
    if (!existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('run `npm run build` first');
    try {
      const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('check reads an hf:// split with --allow-download, from $HF_ENDPOINT into the user cache', async () => {
    const env = { HF_ENDPOINT: base, XDG_CACHE_HOME: path.join(work, 'xdg') };
    const denied = await cli(['check', 'hf://Anthropic/hh-rlhf/test'], env);
    expect(denied.code).toBe(2);
    expect(denied.stderr).toContain('downloading is off');
    expect(requests).toEqual([]);
    const allowed = await cli(['check', 'hf://Anthropic/hh-rlhf/test', '--allow-download'], env);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^test\s+40\s+40$/m);
    expect(
      existsSync(
        path.join(
          work,
          'xdg/preference-lens/datasets/Anthropic/hh-rlhf/default/test/complete.json',
        ),
      ),
    ).toBe(true);
  });
});
