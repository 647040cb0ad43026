/** chart.js with only the pieces the report uses registered (keeps the bundle small). */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LogarithmicScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
  type Plugin,
} from 'chart.js';
import type { Theme } from './theme.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
);

/** Every chart drawn, so a theme change or a new report can destroy and redraw them. */
export class ChartSet {
  private charts = new Map<string, Chart>();

  draw(canvas: HTMLCanvasElement, config: ChartConfiguration): Chart {
    this.charts.get(canvas.id)?.destroy();
    const chart = new Chart(canvas, config);
    this.charts.set(canvas.id, chart);
    // Each series' label and color, for tests and assistive tooling that cannot read pixels.
    canvas.setAttribute(
      'data-series',
      JSON.stringify(
        config.data.datasets.map((d) => [
          d.label ?? '',
          (d as { borderColor?: unknown }).borderColor ?? d.backgroundColor ?? null,
        ]),
      ),
    );
    return chart;
  }

  destroyAll(): void {
    for (const c of this.charts.values()) c.destroy();
    this.charts.clear();
  }

  get count(): number {
    return this.charts.size;
  }
}

/** A canvas in a sized box (chart.js fills its parent when maintainAspectRatio is off). */
export function chartBox(id: string, height = 260, label?: string): HTMLDivElement {
  const box = document.createElement('div');
  box.className = 'chart-box';
  box.style.height = `${height}px`;
  const canvas = document.createElement('canvas');
  canvas.id = id;
  canvas.setAttribute('role', 'img');
  if (label) canvas.setAttribute('aria-label', label);
  box.append(canvas);
  return box;
}

export function canvasIn(box: HTMLElement): HTMLCanvasElement {
  return box.querySelector('canvas') as HTMLCanvasElement;
}

export interface LineSeries {
  label: string;
  x: number[];
  y: number[];
  color: string;
  dashed?: boolean;
  axis?: 'y' | 'y2';
  width?: number;
}

export function baseOptions(theme: Theme) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    color: theme.fg,
    font: { family: theme.font },
    plugins: {
      legend: {
        labels: { color: theme.fg, boxWidth: 14, boxHeight: 2, font: { family: theme.font } },
      },
      tooltip: { mode: 'index' as const, intersect: false },
    },
  };
}

function axis(theme: Theme, title: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'linear' as const,
    title: { display: true, text: title, color: theme.muted },
    ticks: { color: theme.muted },
    grid: { color: theme.grid },
    border: { color: theme.border },
    ...extra,
  };
}

export function lineConfig(
  theme: Theme,
  series: LineSeries[],
  opts: {
    xTitle: string;
    yTitle: string;
    y2Title?: string;
    yMin?: number;
    yMax?: number;
    legend?: boolean;
    /** Logarithmic y axis (non-positive values are left out). */
    yLog?: boolean;
  },
): ChartConfiguration {
  const datasets: ChartDataset<'line'>[] = series.map((s) => ({
    label: s.label,
    data: s.x.map((x, i) => ({ x, y: s.y[i] })),
    borderColor: s.color,
    backgroundColor: s.color,
    borderWidth: s.width ?? 2,
    borderDash: s.dashed ? [6, 4] : undefined,
    pointRadius: 0,
    pointHoverRadius: 3,
    tension: 0.15,
    yAxisID: s.axis ?? 'y',
  }));
  const base = baseOptions(theme);
  const scales: Record<string, unknown> = {
    x: axis(theme, opts.xTitle),
    y: axis(theme, opts.yTitle, {
      min: opts.yMin,
      max: opts.yMax,
      ...(opts.yLog ? { type: 'logarithmic' } : {}),
    }),
  };
  if (opts.y2Title) {
    scales.y2 = axis(theme, opts.y2Title, {
      position: 'right',
      min: 0,
      max: 1,
      grid: { drawOnChartArea: false },
    });
  }
  return {
    type: 'line',
    data: { datasets },
    options: {
      ...base,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      plugins: {
        ...base.plugins,
        legend: { ...base.plugins.legend, display: opts.legend ?? true },
      },
      scales,
    },
  } as ChartConfiguration;
}

/** Category ticks shortened to `n` characters (long behavior names); tooltips keep the full name. */
export function clippedTicks(color: string, n = 34) {
  return {
    color,
    autoSkip: false,
    font: { size: 11 },
    callback(this: { getLabelForValue(v: number): string }, value: number | string): string {
      const label = this.getLabelForValue(Number(value));
      return label.length > n ? `${label.slice(0, n - 1)}…` : label;
    },
  };
}

export interface ThresholdLine {
  value: number;
  label: string;
  color: string;
  /** The value axis the line crosses: 'x' draws a vertical line. */
  axis: 'x' | 'y';
}

/** Dashed reference lines (thresholds) drawn over the chart area, labeled at their end. */
export function thresholdPlugin(lines: ThresholdLine[]): Plugin {
  return {
    id: 'thresholds',
    afterDatasetsDraw(chart) {
      const { ctx: g, chartArea: area } = chart;
      for (const line of lines) {
        const scale = chart.scales[line.axis];
        if (!scale || !Number.isFinite(line.value)) continue;
        const p = scale.getPixelForValue(line.value);
        g.save();
        g.strokeStyle = line.color;
        g.fillStyle = line.color;
        g.setLineDash([5, 4]);
        g.lineWidth = 1.5;
        g.beginPath();
        if (line.axis === 'x') {
          g.moveTo(p, area.top);
          g.lineTo(p, area.bottom);
        } else {
          g.moveTo(area.left, p);
          g.lineTo(area.right, p);
        }
        g.stroke();
        g.setLineDash([]);
        g.font = '11px sans-serif';
        if (line.axis === 'x') {
          const w = g.measureText(line.label).width;
          g.textAlign = p + w + 4 > area.right ? 'right' : 'left';
          // Above the plot area (the chart reserves layout.padding.top for it), not over a bar.
          g.fillText(line.label, g.textAlign === 'right' ? p - 4 : p + 4, area.top - 4);
        } else {
          g.textAlign = 'right';
          g.fillText(line.label, area.right - 4, p - 4);
        }
        g.restore();
      }
    },
  };
}
