/**
 * The last report on disk, in the workspace storage: the panel's own state can be dropped by VS
 * Code, so a window reload restores the report (and its markers) from here.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../core/io/atomic-write.js';
import type { ReportPayload } from '../shared/protocol.js';

const PAYLOAD_FILE = 'last-report.json';

export class ReportStorage {
  constructor(
    private readonly context: Pick<vscode.ExtensionContext, 'storageUri' | 'globalStorageUri'>,
  ) {}

  private file(): vscode.Uri {
    return vscode.Uri.joinPath(
      this.context.storageUri ?? this.context.globalStorageUri,
      PAYLOAD_FILE,
    );
  }

  async store(payload: ReportPayload): Promise<void> {
    const file = this.file().fsPath;
    await mkdir(path.dirname(file), { recursive: true });
    // Written beside it and renamed over it: a reader (a restoring window, another run) never
    // sees a half-written report.
    await writeFileAtomic(file, JSON.stringify(payload));
  }

  async read(): Promise<ReportPayload | undefined> {
    try {
      return JSON.parse(await readFile(this.file().fsPath, 'utf8')) as ReportPayload;
    } catch {
      return undefined;
    }
  }
}

/**
 * Whether a stored report still describes its files: none of them changed since it was made
 * (otherwise its markers would point at the wrong lines; the next run redoes them).
 */
export const inputsUnchanged = async (payload: ReportPayload): Promise<boolean> => {
  const created = Date.parse(payload.report.createdAt);
  const mtimes = await Promise.all(
    payload.report.inputs.map((i) =>
      stat(i.file).then(
        (s) => s.mtimeMs,
        () => Infinity,
      ),
    ),
  );
  return !mtimes.some((m) => m > created);
};
