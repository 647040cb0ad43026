/** Builds the whole report from a payload and keeps it in sync with the theme and the host. */
import { ChartSet } from './charts.js';
import { h } from './dom.js';
import type { Host, SavedState } from './host.js';
import { curvesSection } from './sections/curves.js';
import { headerSection } from './sections/header.js';
import { jointSection } from './sections/joint.js';
import { skippedSection, suspectsSection } from './sections/lists.js';
import { misalignmentSection } from './sections/misalignment.js';
import { prioritySection } from './sections/priority.js';
import { rankingSection } from './sections/ranking.js';
import { rebalancingSection } from './sections/rebalancing.js';
import { browseSection } from './sections/browse.js';
import { mapSection } from './sections/map.js';
import { RowModel } from './rows.js';
import { behaviorPalette } from './palette.js';
import { readTheme, watchTheme } from './theme.js';
import type { Ctx, ReportPayload, Section } from './types.js';

export const SECTIONS = [
  headerSection,
  rankingSection,
  prioritySection,
  curvesSection,
  jointSection,
  misalignmentSection,
  rebalancingSection,
  mapSection,
  browseSection,
  suspectsSection,
  skippedSection,
];

export class App {
  private charts = new ChartSet();
  private sections: Section[] = [];
  private state: SavedState | undefined;
  private root: HTMLElement;
  /** One row model per payload: a theme switch re-renders without losing filter or selection. */
  private rowModels = new WeakMap<ReportPayload, RowModel>();

  constructor(private host: Host) {
    this.root =
      document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
    watchTheme(() => this.render());
  }

  start(): void {
    this.host.onMessage((m) => {
      switch (m.type) {
        case 'report':
          this.state = { ...this.state, payload: m.payload };
          document.getElementById('progress')?.remove();
          document.getElementById('error')?.remove();
          this.host.setState(this.state);
          this.render();
          break;
        case 'progress':
          this.progress(m.message, m.fraction);
          break;
        case 'error':
          this.error(m.message);
          break;
        case 'focusBehavior':
          this.select(m.behavior, true);
          break;
      }
    });
    const saved = this.host.getState();
    if (saved) {
      this.state = saved;
      this.render();
    }
    this.host.post({ type: 'ready' });
  }

  private context(payload: ReportPayload): Ctx {
    const report = payload.report;
    const state = this.state as SavedState;
    const ranked = [...report.behaviors].sort(
      (a, b) => b.distinguishability - a.distinguishability,
    );
    if (!state.curveBehavior && ranked.length) {
      // Start on the behavior most at risk: the lowest priority level.
      state.curveBehavior = [...ranked].sort((a, b) => a.priorityLevel - b.priorityLevel)[0].name;
    }
    const theme = readTheme();
    const sc = payload.sidecar;
    let rows = this.rowModels.get(payload) ?? null;
    if (!rows && sc && sc.rows) {
      rows = new RowModel(sc, { behavior: state.mapBehavior ?? '', ...state.rowFilter });
      const model = rows;
      model.persist = () => {
        if (!this.state) return;
        this.state.rowFilter = { ...model.filter };
        this.state.mapBehavior = model.filter.behavior || undefined;
        this.host.setState(this.state);
      };
      this.rowModels.set(payload, rows);
    }
    // The sections about to be built listen afresh; the previous render's must not.
    rows?.detachViews();
    return {
      rows,
      payload,
      report,
      theme,
      palette: behaviorPalette(
        theme,
        report.behaviors.map((b) => b.name),
      ),
      charts: this.charts,
      host: this.host,
      ranked,
      ui: state,
      select: (b) => this.select(b, false),
      save: () => this.host.setState(state),
    };
  }

  render(): void {
    if (!this.state) return;
    document.body.removeAttribute('data-ready');
    document.body.removeAttribute('data-scatter-ready');
    this.charts.destroyAll();
    const ctx = this.context(this.state.payload);
    // A theme switch rebuilds the page; keep the reader where they were.
    const scroll = window.scrollY;
    this.sections = SECTIONS.map((make) => make(ctx));
    this.root.replaceChildren(...this.sections.map((s) => s.el));
    for (const s of this.sections) s.draw();
    window.scrollTo(0, scroll);
    document.body.setAttribute('data-charts', String(this.charts.count));
    document.body.setAttribute('data-ready', 'true');
  }

  private select(behavior: string, scroll: boolean): void {
    if (!this.state) return;
    this.state.curveBehavior = behavior;
    this.host.setState(this.state);
    for (const s of this.sections) s.onSelect?.(behavior);
    if (scroll) {
      const row = document.querySelector(
        `#ranking-table tbody tr[data-behavior="${CSS.escape(behavior)}"]`,
      );
      row?.scrollIntoView({ block: 'center' });
    }
  }

  private progress(message: string, fraction: number | null): void {
    let el = document.getElementById('progress');
    if (!el) {
      el = h('div', { id: 'progress', class: 'banner' });
      document.body.prepend(el);
    }
    el.replaceChildren(h('span', { text: message }));
    if (fraction !== null) {
      const bar = h('progress', { attrs: { max: '1' } });
      bar.value = fraction;
      el.append(bar);
    }
    el.hidden = false;
    if (fraction !== null && fraction >= 1) el.hidden = true;
  }

  private error(message: string): void {
    const el = h('div', {
      id: 'error',
      class: 'banner error',
      attrs: { role: 'alert' },
      text: message,
    });
    document.getElementById('error')?.remove();
    document.body.prepend(el);
  }
}
