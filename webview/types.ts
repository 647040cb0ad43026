// The webview may only see the core through the protocol module, so derive the report types here.
import type { ReportPayload, ReportSidecar } from '../src/shared/protocol.js';
import type { ChartSet } from './charts.js';
import type { Host } from './host.js';
import type { BehaviorPalette } from './palette.js';
import type { RowFilter, RowModel } from './rows.js';
import type { Theme } from './theme.js';

export type Report = ReportPayload['report'];
export type BehaviorReport = Report['behaviors'][number];
export type Curve = Report['simulation']['perBehavior'][string];
export type JointRun = NonNullable<Report['simulation']['joint']>;
export type MisalignmentRun = Report['simulation']['misalignment'][number];
export type Rebalancing = NonNullable<Report['rebalancing']>;
export type { ReportPayload, ReportSidecar };

/** What every section needs to draw itself. */
export interface Ctx {
  payload: ReportPayload;
  report: Report;
  theme: Theme;
  /** One color per behavior (report order), the same in every section. */
  palette: BehaviorPalette;
  charts: ChartSet;
  host: Host;
  /** Behaviors sorted by distinguishability, highest first (the ranking order). */
  ranked: BehaviorReport[];
  ui: { curveBehavior?: string; mapBehavior?: string; rowFilter?: Partial<RowFilter> };
  /** The sidecar's rows with the filter and selection the map and the browse table share. */
  rows: RowModel | null;
  /** Selects a behavior in every per-behavior view (ranking click, focusBehavior message). */
  select(behavior: string): void;
  /** Persists the UI selections with the payload (vscode.setState). */
  save(): void;
}

/** A section that can follow the selected behavior. */
export interface Section {
  el: HTMLElement;
  /** Called after the section is in the document (chart.js needs a laid-out canvas). */
  draw(): void;
  onSelect?(behavior: string): void;
}
