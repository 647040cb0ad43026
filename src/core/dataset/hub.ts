import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DatasetInputError } from './errors.js';

/**
 * Hugging Face Hub datasets by id, config and split, read from the Parquet conversion the Hub
 * publishes for every public dataset (branch refs/convert/parquet). The shards are downloaded
 * once into a cache folder, as models are, and only when downloads are allowed (the same switch:
 * CLI --allow-download, setting preferenceLens.allowDownload, which Restricted Mode ignores from
 * the workspace); a cached split is read without the network.
 *
 * Not tested against the real Hub (this project is developed offline): the tests serve real
 * Parquet files from a local HTTP server in the Hub's URL layout.
 */

export const HUB_SCHEME = 'hf://';

export interface HubDatasetRef {
  /** owner/name */
  id: string;
  /** The config (the Hub's "subset"); "default" when the dataset has one. */
  config: string;
  split: string;
}

export interface HubOptions {
  allowDownload: boolean;
  /** Where splits are kept: <cacheDir>/<owner>/<name>/<config>/<split>/. */
  cacheDir: string;
  /** The Hub's address; default $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  signal?: AbortSignal;
}

const NAME = /^[A-Za-z0-9][\w.-]*$/;
const PART = /^[\w.-]+$/;

export const isHubUri = (input: string): boolean => input.startsWith(HUB_SCHEME);

/**
 * Parses `hf://owner/name[@config][/split]` (also with the `datasets/` prefix of
 * huggingface_hub's hf:// paths): config defaults to "default", split to "train".
 */
export function parseHubUri(uri: string): HubDatasetRef {
  const usage = `${uri}: expected hf://owner/name[@config][/split], e.g. hf://Anthropic/hh-rlhf@default/test`;
  let rest = uri.slice(HUB_SCHEME.length).replace(/^datasets\//, '');
  const parts = rest.split('/');
  if (parts.length < 2 || parts.length > 3) throw new DatasetInputError(uri, usage);
  const [owner, nameAndConfig, split = 'train'] = parts;
  const at = nameAndConfig.indexOf('@');
  const name = at < 0 ? nameAndConfig : nameAndConfig.slice(0, at);
  const config = at < 0 ? 'default' : nameAndConfig.slice(at + 1);
  rest = `${owner}/${name}`;
  if (!NAME.test(owner) || !NAME.test(name) || !PART.test(config) || !PART.test(split)) {
    throw new DatasetInputError(uri, usage);
  }
  return { id: rest, config, split };
}

export const hubEndpoint = (options: Pick<HubOptions, 'endpoint'>): string =>
  (options.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');

/** The Hub API route that lists a split's Parquet shards (a JSON array of their URLs). */
export const hubListUrl = (ref: HubDatasetRef, endpoint: string): string =>
  `${endpoint}/api/datasets/${ref.id}/parquet/${encodeURIComponent(ref.config)}/${encodeURIComponent(ref.split)}`;

export const hubCacheFolder = (ref: HubDatasetRef, cacheDir: string): string =>
  path.join(cacheDir, ...ref.id.split('/'), ref.config, ref.split);

/** The shard file names: "<split>-00000-of-00003.parquet", so a split reads as one behavior. */
const shardName = (split: string, i: number, n: number): string =>
  `${split}-${String(i).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.parquet`;

const MANIFEST = 'complete.json';

interface Manifest {
  uri: string;
  urls: string[];
  files: string[];
  downloadedAt: string;
}

/** The cached shards of a split, or null when it was never downloaded completely. */
async function cached(folder: string): Promise<string[] | null> {
  try {
    const manifest = JSON.parse(await readFile(path.join(folder, MANIFEST), 'utf8')) as Manifest;
    return manifest.files.map((f) => path.join(folder, f));
  } catch {
    return null;
  }
}

/** Shard URLs from the list route: an array of URLs, or the dataset viewer's parquet_files. */
function shardUrls(body: unknown, ref: HubDatasetRef): string[] | null {
  if (Array.isArray(body) && body.every((u) => typeof u === 'string')) return body as string[];
  const files = (body as { parquet_files?: unknown } | null)?.parquet_files;
  if (!Array.isArray(files)) return null;
  return files
    .filter(
      (f: { config?: string; split?: string }) => f.config === ref.config && f.split === ref.split,
    )
    .map((f: { url?: unknown }) => f.url)
    .filter((u): u is string => typeof u === 'string');
}

const headers = (): Record<string, string> =>
  process.env.HF_TOKEN ? { authorization: `Bearer ${process.env.HF_TOKEN}` } : {};

/**
 * The local Parquet files of a Hub split: from the cache, else downloaded into it when downloads
 * are allowed. Every failure names the dataset, what was tried and what to do.
 */
export async function resolveHubDataset(uri: string, options: HubOptions): Promise<string[]> {
  const ref = parseHubUri(uri);
  const folder = hubCacheFolder(ref, options.cacheDir);
  const hit = await cached(folder);
  if (hit) return hit;
  if (!options.allowDownload) {
    throw new DatasetInputError(
      uri,
      `${uri}: not in the dataset cache (${folder}), and downloading is off. Allow it (CLI --allow-download, setting preferenceLens.allowDownload; not from an untrusted workspace) or download the Parquet files and give their folder.`,
    );
  }
  const endpoint = hubEndpoint(options);
  const list = hubListUrl(ref, endpoint);
  const get = async (url: string): Promise<Response> => {
    try {
      return await fetch(url, { headers: headers(), signal: options.signal, redirect: 'follow' });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new DatasetInputError(
        uri,
        `${uri}: cannot reach the Hugging Face Hub at ${endpoint} (${(error as Error).cause ?? (error as Error).message}); the dataset cache (${folder}) has no copy of it`,
        { cause: error },
      );
    }
  };
  const response = await get(list);
  if (!response.ok) {
    const why =
      response.status === 401 || response.status === 403
        ? 'the dataset is gated or private: set HF_TOKEN to a token that may read it'
        : response.status === 404
          ? `no Parquet conversion of config "${ref.config}", split "${ref.split}" (check the names on the dataset's page)`
          : `HTTP ${response.status}`;
    throw new DatasetInputError(uri, `${uri}: ${list}: ${why}`);
  }
  const urls = shardUrls(await response.json().catch(() => null), ref);
  if (!urls || urls.length === 0) {
    throw new DatasetInputError(uri, `${uri}: ${list} lists no Parquet files`);
  }
  await mkdir(folder, { recursive: true });
  const files = urls.map((_, i) => shardName(ref.split, i, urls.length));
  for (let i = 0; i < urls.length; i++) {
    const target = path.join(folder, files[i]);
    const shard = await get(urls[i]);
    if (!shard.ok || !shard.body) {
      throw new DatasetInputError(
        uri,
        `${uri}: downloading ${urls[i]} failed: HTTP ${shard.status}`,
      );
    }
    const partial = `${target}.${process.pid}.partial`;
    try {
      await pipeline(
        Readable.fromWeb(shard.body as WebReadableStream<Uint8Array>),
        createWriteStream(partial),
      );
      await rename(partial, target);
    } finally {
      await rm(partial, { force: true });
    }
  }
  // Written last: a download cut short is never taken for a cached split.
  const manifest: Manifest = { uri, urls, files, downloadedAt: new Date().toISOString() };
  await writeFile(path.join(folder, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return files.map((f) => path.join(folder, f));
}
