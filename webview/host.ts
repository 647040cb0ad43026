/**
 * The report talks to "a host": the VS Code extension (acquireVsCodeApi) or, in the standalone HTML
 * report, a small adapter that reads the embedded payload and handles intents locally.
 */
import type { HostToWebview, ReportPayload, WebviewToHost } from '../src/shared/protocol.js';
import { formatPosition } from '../src/shared/position.js';
import type { RowFilter } from './rows.js';

export interface SavedState {
  payload: ReportPayload;
  curveBehavior?: string;
  /** The map's behavior filter (empty: all). */
  mapBehavior?: string;
  /** The rows' filter the map and the browse table share (search, behavior, label, flag, …). */
  rowFilter?: Partial<RowFilter>;
}

export interface Host {
  kind: 'vscode' | 'standalone';
  post(message: WebviewToHost): void;
  getState(): SavedState | undefined;
  setState(state: SavedState): void;
  onMessage(listener: (message: HostToWebview) => void): void;
}

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

function isSavedState(x: unknown): x is SavedState {
  return typeof x === 'object' && x !== null && 'payload' in x;
}

function vscodeHost(api: VsCodeApi): Host {
  return {
    kind: 'vscode',
    post: (m) => api.postMessage(m),
    getState: () => {
      const s = api.getState();
      return isSavedState(s) ? s : undefined;
    },
    setState: (s) => api.setState(s),
    onMessage(listener) {
      window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
        if (event.data && typeof event.data === 'object' && 'type' in event.data)
          listener(event.data);
      });
    },
  };
}

function download(name: string, type: string, content: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function toast(text: string): void {
  let el = document.getElementById('toast');
  if (!el) {
    el = document.createElement('div');
    el.id = 'toast';
    el.setAttribute('role', 'status');
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add('show');
  window.setTimeout(() => el?.classList.remove('show'), 3000);
}

function standaloneHost(): Host {
  // Captured before the report renders, so an HTML export is the pristine self-contained file.
  // Browsers hide nonce attributes from the DOM; put them back so the exported copy still runs.
  const clone = document.documentElement.cloneNode(true) as HTMLElement;
  const originals = document.querySelectorAll<HTMLElement>('script, style');
  clone.querySelectorAll<HTMLElement>('script, style').forEach((el, i) => {
    const nonce = originals[i]?.nonce;
    if (nonce) el.setAttribute('nonce', nonce);
  });
  const pristine = '<!DOCTYPE html>\n' + clone.outerHTML;
  const payloadText = document.getElementById('payload')?.textContent ?? '';
  let state: SavedState | undefined;
  let payload: ReportPayload | undefined;
  const listeners: ((m: HostToWebview) => void)[] = [];
  return {
    kind: 'standalone',
    post(m) {
      if (m.type === 'ready') {
        try {
          payload = JSON.parse(payloadText) as ReportPayload;
          for (const l of listeners) l({ type: 'report', payload });
        } catch (e) {
          for (const l of listeners)
            l({ type: 'error', message: `Bad embedded report: ${String(e)}` });
        }
      } else if (m.type === 'reveal' || m.type === 'openSimilar') {
        toast(`${formatPosition(m.file, m.line)} (open the report in VS Code to jump to it)`);
      } else if (m.type === 'exportRows') {
        download('preference-lens-selection.jsonl', 'application/x-ndjson', m.jsonl);
      } else if (m.type === 'export' && payload) {
        const stamp = payload.report.createdAt.replace(/[:.]/g, '-');
        if (m.format === 'json') {
          download(
            `preference-lens-${stamp}.json`,
            'application/json',
            JSON.stringify(payload.report, null, 2),
          );
        } else {
          download(`preference-lens-${stamp}.html`, 'text/html', pristine);
        }
      }
    },
    getState: () => state,
    setState: (s) => {
      state = s;
    },
    onMessage: (l) => {
      listeners.push(l);
    },
  };
}

export function connectHost(): Host {
  return typeof acquireVsCodeApi === 'function' ? vscodeHost(acquireVsCodeApi()) : standaloneHost();
}
