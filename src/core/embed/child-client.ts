import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lastErrorLine } from './child-stderr.js';
import type { ChildReply, ParentMessage } from './protocol.js';

type Request = ParentMessage extends infer M
  ? M extends ParentMessage
    ? Omit<M, 'id'>
    : never
  : never;

/** The child's entry: the esbuild bundle next to this one, or the TypeScript source through tsx. */
const childEntry = (): { file: string; execArgv: string[] } => {
  if (__filename.endsWith('.ts')) {
    const tsx = join(
      dirname(createRequire(__filename).resolve('tsx/package.json')),
      'dist',
      'loader.mjs',
    );
    return {
      file: join(__dirname, 'child-main.ts'),
      execArgv: ['--import', pathToFileURL(tsx).href],
    };
  }
  const file = join(__dirname, 'embed-child.js');
  if (!existsSync(file))
    throw new Error(`The embedding process entry ${file} is missing (run the build).`);
  return { file, execArgv: [] };
};

/** Named so callers can tell a crash of the embedding process from a model error. */
export class EmbeddingProcessError extends Error {
  override name = 'EmbeddingProcessError';
}

/** One embedding child process and its request/reply bookkeeping. */
export class ChildClient {
  private readonly pending = new Map<
    number,
    { resolve: (r: ChildReply) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private stderrTail = '';
  private exitReason: string | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    // Read for error messages only: it must not keep the parent alive on its own.
    (child.stderr as { unref?: () => void } | null)?.unref?.();
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-8000);
    });
    child.on('message', (reply: ChildReply) => {
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      this.idleUnref();
      if (reply.type === 'error') {
        const error = new Error(reply.message);
        error.name = reply.name;
        waiter.reject(error);
      } else waiter.resolve(reply);
    });
    child.on('error', (error) => this.fail(`could not run (${error.message})`));
    child.on('exit', (code, signal) =>
      this.fail(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
  }

  static spawn(): ChildClient {
    const { file, execArgv } = childEntry();
    const child = fork(file, [], {
      execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Inside VS Code's extension host process.execPath is Electron: run it as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    const client = new ChildClient(child);
    client.idleUnref();
    return client;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitReason === undefined;
  }

  request<R extends ChildReply['type']>(
    msg: Request,
    expect: R,
  ): Promise<Extract<ChildReply, { type: R }>> {
    if (this.exitReason !== undefined) return Promise.reject(this.processError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (r) =>
          r.type === expect
            ? resolve(r as Extract<ChildReply, { type: R }>)
            : reject(new Error(`The embedding process answered ${r.type} to ${msg.type}.`)),
        reject,
      });
      this.child.ref();
      (this.child.channel as { ref?: () => void } | null | undefined)?.ref?.();
      this.child.send({ ...msg, id } as ParentMessage);
    });
  }

  kill(): void {
    if (this.exitReason === undefined) this.child.kill();
  }

  /** With nothing in flight the child must not keep a CLI run alive. */
  private idleUnref(): void {
    if (this.pending.size > 0) return;
    this.child.unref();
    (this.child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }

  private processError(): EmbeddingProcessError {
    const last = lastErrorLine(this.stderrTail);
    return new EmbeddingProcessError(
      `The embedding process (pid ${this.child.pid}) ${this.exitReason}` +
        (last ? `; its last error: ${last}` : '') +
        '. The next embed call starts a new one.',
    );
  }

  private fail(reason: string): void {
    if (this.exitReason !== undefined) return;
    this.exitReason = reason;
    const error = this.processError();
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
