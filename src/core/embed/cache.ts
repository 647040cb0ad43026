import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { textDigest } from '../digest.js';

// A content-addressed embedding cache. Each write is one immutable segment file,
// [magic 'PLE1', dim u32, count u32, 0 u32][count x 32-byte key][count x dim float32 LE],
// written to a temp name and renamed, so a reader sees a whole segment or none: an interrupted run
// leaves only whole segments behind and the next run resumes from them. Many small segments are
// merged into one once they pile up.

const MAGIC = 0x31454c50; // 'PLE1' little-endian
const HEADER = 16;
const KEY_BYTES = 32;
/** Segments smaller than MERGE_SMALL entries are merged once MERGE_AT of them pile up. */
const MERGE_AT = 64;
const MERGE_SMALL = 1024;

interface Location {
  file: string;
  index: number;
  count: number;
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException)?.code === 'ENOENT';

/** A temporary segment this old is left over from a run that died writing it. */
export const STALE_TEMP_MS = 60 * 60 * 1000;
/** A writer's temporary segment is this young at most while its writer (another host?) lives. */
const DEAD_WRITER_GRACE_MS = 60 * 1000;

/** `.<time36>-<pid>-<random>.seg.tmp`, as writeSegment names them. */
const TEMP_NAME = /^\.[0-9a-z]+-(\d+)-[0-9a-f]+\.seg\.tmp$/;

const isAlive = (pid: number): boolean => {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it lives, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class EmbeddingCache {
  readonly dir: string;
  private readonly identityHash: Buffer;
  private readonly index = new Map<string, Location>();
  /** Indexed segment files and their entry counts. */
  private readonly known = new Map<string, number>();
  private swept = false;

  /** `identity` is everything besides the text that decides a vector (model file hashes, pooling). */
  constructor(
    root: string,
    identity: string,
    private readonly dim: number,
  ) {
    this.identityHash = createHash('sha256').update(identity).digest();
    this.dir = join(root, this.identityHash.toString('hex').slice(0, 32));
  }

  /** The key of a text: keyOfDigest(textDigest(text)). */
  key(text: string): string {
    return this.keyOfDigest(textDigest(text));
  }

  /**
   * sha256(model identity, textDigest) as hex. From the digest rather than the text, so that the
   * rows of a large input, whose texts stay on disk, are looked up without reading them back.
   */
  keyOfDigest(digest: Uint8Array): string {
    return createHash('sha256').update(this.identityHash).update(digest).digest('hex');
  }

  /** Vectors of the keys already cached. */
  async lookup(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    await this.refresh();
    const byFile = new Map<string, { loc: Location; key: string }[]>();
    for (const key of keys) {
      const loc = this.index.get(key);
      if (!loc) continue;
      const list = byFile.get(loc.file) ?? [];
      list.push({ loc, key });
      byFile.set(loc.file, list);
    }
    const found = new Map<string, Float32Array>();
    const rowBytes = this.dim * 4;
    for (const [file, hits] of byFile) {
      const count = hits[0].loc.count;
      const vectorsAt = HEADER + count * KEY_BYTES;
      try {
        const handle = await open(join(this.dir, file), 'r');
        try {
          if (hits.length * 4 >= count) {
            const block = Buffer.alloc(count * rowBytes);
            await handle.read(block, 0, block.length, vectorsAt);
            for (const { loc, key } of hits)
              found.set(key, copyRow(block, loc.index * rowBytes, this.dim));
          } else {
            const row = Buffer.alloc(rowBytes);
            for (const { loc, key } of hits) {
              await handle.read(row, 0, rowBytes, vectorsAt + loc.index * rowBytes);
              found.set(key, copyRow(row, 0, this.dim));
            }
          }
        } finally {
          await handle.close();
        }
      } catch (error) {
        // Merged away by another process since it was indexed: those keys are simply misses.
        if (!isMissing(error)) throw error;
        this.forget(file);
      }
    }
    return found;
  }

  /** Stores vectors (rows of `data`) under their keys as one segment. */
  async write(keys: readonly string[], data: Float32Array): Promise<void> {
    if (keys.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    const name = await this.writeSegment(keys, data);
    this.indexSegment(name, keys);
    const small = [...this.known].filter(([, count]) => count < MERGE_SMALL).map(([file]) => file);
    if (small.length >= MERGE_AT) await this.merge(small);
  }

  private async writeSegment(keys: readonly string[], data: Float32Array): Promise<string> {
    const count = keys.length;
    const buf = Buffer.alloc(HEADER + count * KEY_BYTES + count * this.dim * 4);
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(this.dim, 4);
    buf.writeUInt32LE(count, 8);
    keys.forEach((k, i) => buf.write(k, HEADER + i * KEY_BYTES, 'hex'));
    const vectors = new Float32Array(
      buf.buffer,
      buf.byteOffset + HEADER + count * KEY_BYTES,
      count * this.dim,
    );
    vectors.set(data.subarray(0, count * this.dim));
    const name = `${Date.now().toString(36)}-${process.pid}-${randomBytes(6).toString('hex')}.seg`;
    const temp = join(this.dir, `.${name}.tmp`);
    try {
      await writeFile(temp, buf);
      await rename(temp, join(this.dir, name));
    } catch (error) {
      // A full disk leaves a partial temporary file: it must not stay behind.
      await rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
    return name;
  }

  private indexSegment(file: string, keys: readonly string[]): void {
    this.known.set(file, keys.length);
    keys.forEach((key, index) => this.index.set(key, { file, index, count: keys.length }));
  }

  private forget(file: string): void {
    this.known.delete(file);
    for (const [key, loc] of this.index) if (loc.file === file) this.index.delete(key);
  }

  /** Indexes segments written since the last look (by this or another process). */
  private async refresh(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    if (!this.swept) {
      this.swept = true;
      await this.sweepStaleTemps(names);
    }
    const present = new Set(names);
    for (const file of [...this.known.keys()]) if (!present.has(file)) this.forget(file);
    for (const file of names) {
      if (!file.endsWith('.seg') || this.known.has(file)) continue;
      const keys = await this.readKeys(file);
      if (keys) this.indexSegment(file, keys);
    }
  }

  /**
   * Removes temporary segments of writers that died (killed, or their disk filled up before the
   * fix that removes them): older than an hour, or over a minute old with no live process of
   * their pid on this machine. A live writer's file is never touched.
   */
  private async sweepStaleTemps(names: readonly string[], now = Date.now()): Promise<void> {
    for (const file of names) {
      const match = TEMP_NAME.exec(file);
      if (!match) continue;
      const path = join(this.dir, file);
      try {
        const age = now - (await stat(path)).mtimeMs;
        const dead = !isAlive(Number(match[1]));
        if (age > STALE_TEMP_MS || (dead && age > DEAD_WRITER_GRACE_MS))
          await rm(path, { force: true });
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
    }
  }

  private async readKeys(file: string): Promise<string[] | undefined> {
    let handle;
    try {
      handle = await open(join(this.dir, file), 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const header = Buffer.alloc(HEADER);
      await handle.read(header, 0, HEADER, 0);
      const count = header.readUInt32LE(8);
      const { size } = await handle.stat();
      // Anything but a whole segment of this width is not ours to read.
      if (
        header.readUInt32LE(0) !== MAGIC ||
        header.readUInt32LE(4) !== this.dim ||
        size !== HEADER + count * (KEY_BYTES + this.dim * 4)
      )
        return undefined;
      const keyBlock = Buffer.alloc(count * KEY_BYTES);
      await handle.read(keyBlock, 0, keyBlock.length, HEADER);
      const keys = new Array<string>(count);
      for (let i = 0; i < count; i++)
        keys[i] = keyBlock.toString('hex', i * KEY_BYTES, (i + 1) * KEY_BYTES);
      return keys;
    } finally {
      await handle.close();
    }
  }

  /** Folds segments into one; the old ones are removed only after the new one is in place. */
  private async merge(files: readonly string[]): Promise<void> {
    const keys: string[] = [];
    const rows: Float32Array[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      let buf: Buffer;
      try {
        buf = await readFile(join(this.dir, file));
      } catch (error) {
        if (isMissing(error)) continue;
        throw error;
      }
      const count = buf.readUInt32LE(8);
      const vectorsAt = HEADER + count * KEY_BYTES;
      for (let i = 0; i < count; i++) {
        const key = buf.toString('hex', HEADER + i * KEY_BYTES, HEADER + (i + 1) * KEY_BYTES);
        if (seen.has(key)) continue;
        seen.add(key);
        keys.push(key);
        rows.push(copyRow(buf, vectorsAt + i * this.dim * 4, this.dim));
      }
    }
    const data = new Float32Array(keys.length * this.dim);
    rows.forEach((r, i) => data.set(r, i * this.dim));
    const merged = await this.writeSegment(keys, data);
    for (const file of files) {
      await rm(join(this.dir, file), { force: true });
      this.known.delete(file);
    }
    // Repoints every merged key at the new segment.
    this.indexSegment(merged, keys);
  }
}

const copyRow = (buf: Buffer, offset: number, dim: number): Float32Array => {
  const row = new Float32Array(dim);
  new Uint8Array(row.buffer).set(buf.subarray(offset, offset + dim * 4));
  return row;
};
