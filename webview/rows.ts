/**
 * The rows of the report's sidecar as the map and the browse table see them: one filter (search,
 * behavior, label, flag kind, cluster, length) and one lasso selection, shared, so the table
 * lists what the map shows. Filtering is a pass over typed columns, no per-row objects, so a
 * change on 100k+ rows stays a few milliseconds.
 */
import type { ReportSidecar } from '../src/shared/protocol.js';
import { isParquetPath, parquetRowIndex } from '../src/shared/position.js';

export interface RowFilter {
  /** Substring of the row's text or of its `file:line`, any case; empty: all. */
  search: string;
  /** Behavior name; empty: all. */
  behavior: string;
  /** 1, -1, or 0 for both. */
  label: 0 | 1 | -1;
  /** A flag kind, ANY_FLAG, NO_FLAG, or empty for all rows. */
  flag: string;
  /** Cluster name; empty: all. */
  cluster: string;
  /** Text length in characters, inclusive bounds; undefined: open. */
  minLength?: number;
  maxLength?: number;
}

export const ANY_FLAG = '*';
export const NO_FLAG = '-';

export const emptyFilter = (): RowFilter => ({
  search: '',
  behavior: '',
  label: 0,
  flag: '',
  cluster: '',
});

/** Why the listeners run: the filter or the selection changed, or a row was focused. */
export type RowChange = 'filter' | 'selection' | 'focus';

export class RowModel {
  readonly filter: RowFilter;
  /** 1 where the row passes the filter. */
  readonly visible: Uint8Array;
  visibleCount = 0;
  /** Lasso selection (row indices, ascending), or null. */
  selected: Uint32Array | null = null;
  /** The row last chosen in the table or on the map, -1: none. */
  focused = -1;
  /** File names without their folders, per file index (a location is `name:line`). */
  private readonly baseNames: string[];
  /** Per file: a Parquet file, whose rows are named by index (src/shared/position.ts). */
  private readonly parquet: boolean[];
  private listeners: ((why: RowChange) => void)[] = [];

  constructor(
    readonly sc: ReportSidecar,
    filter: Partial<RowFilter> = {},
  ) {
    this.filter = { ...emptyFilter(), ...filter };
    this.baseNames = sc.files.map((f) => f.split(/[\\/]/).pop() ?? f);
    this.parquet = sc.files.map(isParquetPath);
    this.visible = new Uint8Array(sc.rows);
    this.apply();
  }

  /** Called after every filter change (the app keeps the filter with the panel's state). */
  persist: (() => void) | null = null;

  onChange(listener: (why: RowChange) => void): void {
    this.listeners.push(listener);
  }

  /** Forgets the views' listeners (before a re-render builds new views). */
  detachViews(): void {
    this.listeners = [];
  }

  behaviorName(i: number): string {
    return this.sc.behaviors[this.sc.behavior[i]] ?? '(left out)';
  }

  fileOf(i: number): string {
    return this.sc.files[this.sc.file[i]] ?? '';
  }

  location(i: number): string {
    const f = this.sc.file[i];
    // Per file, not per row: a search tests every row's position.
    return this.parquet[f]
      ? `${this.baseNames[f]} row ${parquetRowIndex(this.sc.line[i])}`
      : `${this.baseNames[f] ?? ''}:${this.sc.line[i]}`;
  }

  /** The flag kinds of row i. */
  flagsOf(i: number): string[] {
    const mask = this.sc.flags?.[i] ?? 0;
    return mask ? (this.sc.flagKinds ?? []).filter((_, k) => mask & (1 << k)) : [];
  }

  clusterOf(i: number): string {
    const c = this.sc.cluster?.[i] ?? -1;
    return c >= 0 ? (this.sc.clusters?.[c] ?? '') : '';
  }

  lengthOf(i: number): number {
    return this.sc.length?.[i] ?? this.sc.text[i].length;
  }

  set(change: Partial<RowFilter>): void {
    // A control that loses focus fires 'change' again: the same filter must not rebuild the views
    // (the table would replace the row under a click in progress).
    const f = this.filter as unknown as Record<string, unknown>;
    if (Object.entries(change).every(([k, v]) => f[k] === v)) return;
    Object.assign(this.filter, change);
    this.apply();
    this.persist?.();
    this.emit('filter');
  }

  select(rows: Uint32Array | null): void {
    this.selected = rows && rows.length ? rows : null;
    this.emit('selection');
  }

  focus(i: number): void {
    this.focused = i;
    this.emit('focus');
  }

  /** The rows the table lists: visible ones, within the selection when there is one. */
  listed(): Uint32Array {
    const out = new Uint32Array(this.selected ? this.selected.length : this.visibleCount);
    let n = 0;
    if (this.selected) {
      for (const i of this.selected) if (this.visible[i]) out[n++] = i;
    } else {
      for (let i = 0; i < this.sc.rows; i++) if (this.visible[i]) out[n++] = i;
    }
    return out.subarray(0, n);
  }

  /** One JSON object per line: what a user needs to find the row again and read it. */
  jsonl(rows: ArrayLike<number>): string {
    let out = '';
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k];
      const row: Record<string, unknown> = {
        behavior: this.behaviorName(i),
        label: this.sc.label[i],
        file: this.fileOf(i),
        line: this.sc.line[i],
        length: this.lengthOf(i),
      };
      const flags = this.flagsOf(i);
      if (flags.length) row.flags = flags;
      const cluster = this.clusterOf(i);
      if (cluster) row.cluster = cluster;
      row.text = this.sc.text[i];
      out += `${JSON.stringify(row)}\n`;
    }
    return out;
  }

  private emit(why: RowChange): void {
    for (const l of this.listeners) l(why);
  }

  private apply(): void {
    const sc = this.sc;
    const f = this.filter;
    const b = f.behavior ? sc.behaviors.indexOf(f.behavior) : -2;
    const c = f.cluster ? (sc.clusters ?? []).indexOf(f.cluster) : -2;
    const kind = f.flag && f.flag !== ANY_FLAG && f.flag !== NO_FLAG ? f.flag : '';
    const bit = kind ? 1 << (sc.flagKinds ?? []).indexOf(kind) : 0;
    // A case-blind regular expression: no lower-cased copy of 100k texts to build first.
    const needle = f.search.trim();
    const re = needle ? new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i') : null;
    const lengths = sc.length;
    let count = 0;
    for (let i = 0; i < sc.rows; i++) {
      let on =
        (b === -2 || sc.behavior[i] === b) &&
        (f.label === 0 || sc.label[i] === f.label) &&
        (c === -2 || (sc.cluster?.[i] ?? -1) === c);
      if (on && f.flag) {
        const mask = sc.flags?.[i] ?? 0;
        on =
          f.flag === ANY_FLAG ? mask !== 0 : f.flag === NO_FLAG ? mask === 0 : (mask & bit) !== 0;
      }
      if (on && (f.minLength !== undefined || f.maxLength !== undefined)) {
        const len = lengths ? lengths[i] : sc.text[i].length;
        on = len >= (f.minLength ?? 0) && len <= (f.maxLength ?? Infinity);
      }
      if (on && re) on = re.test(sc.text[i]) || re.test(this.location(i));
      this.visible[i] = on ? 1 : 0;
      if (on) count++;
    }
    this.visibleCount = count;
  }
}

/** Row counts per value, for the filters' option labels. */
export function countBy(values: ArrayLike<number>, size: number): number[] {
  const counts = new Array<number>(size).fill(0);
  for (let i = 0; i < values.length; i++)
    if (values[i] >= 0 && values[i] < size) counts[values[i]]++;
  return counts;
}
