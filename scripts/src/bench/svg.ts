// The report's two charts as inline SVG: a line over time with a ceiling, and a histogram with marked percentiles.
// No script and no external resource (the file must open offline); every text is escaped.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const W = 560;
const H = 260;
const PAD = { left: 64, right: 16, top: 28, bottom: 44 };
const PLOT_W = W - PAD.left - PAD.right;
const PLOT_H = H - PAD.top - PAD.bottom;

/** Compact numbers for axis labels: 3 significant digits, k/M suffixes. */
export function formatNumber(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${+(x / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(x / 1e3).toPrecision(3)}k`;
  if (a === 0) return '0';
  return `${+x.toPrecision(3)}`;
}

/** About `count` round ticks from 0 (or lo) to hi: steps of 1, 2 or 5 times a power of ten. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function frame(cls: string, label: string, data: string, body: string, xLabel: string, yLabel: string): string {
  return `<svg class="${cls}" ${data} viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(label)}">` +
    `<rect x="${PAD.left}" y="${PAD.top}" width="${PLOT_W}" height="${PLOT_H}" class="plot"/>${body}` +
    `<text x="${PAD.left + PLOT_W / 2}" y="${H - 6}" class="axis-title" text-anchor="middle">${escapeHtml(xLabel)}</text>` +
    `<text x="14" y="${PAD.top + PLOT_H / 2}" class="axis-title" text-anchor="middle" transform="rotate(-90 14 ${PAD.top + PLOT_H / 2})">` +
    `${escapeHtml(yLabel)}</text></svg>`;
}

function axes(xs: number[], ys: number[], x: (v: number) => number, y: (v: number) => number, xFormat = formatNumber): string {
  const xTicks = xs.map((v) => `<line x1="${x(v)}" y1="${PAD.top + PLOT_H}" x2="${x(v)}" y2="${PAD.top + PLOT_H + 4}" class="tick"/>` +
    `<text x="${x(v)}" y="${PAD.top + PLOT_H + 17}" text-anchor="middle">${xFormat(v)}</text>`);
  const yTicks = ys.map((v) => `<line x1="${PAD.left}" y1="${y(v)}" x2="${PAD.left + PLOT_W}" y2="${y(v)}" class="grid"/>` +
    `<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${formatNumber(v)}</text>`);
  return xTicks.join('') + yTicks.join('');
}

export interface LineChart {
  cls: string;
  /** data-* attributes naming what is drawn (e.g. data-device="cpu:0"). */
  data: Record<string, string>;
  label: string;
  points: [number, number][];
  xLabel: string;
  yLabel: string;
  /** A horizontal limit; drawn at its height when it is within 3× the data, else pinned to the top and labelled. */
  ceiling?: { value: number; label: string };
}

export function lineChart(c: LineChart): string {
  const xMax = Math.max(1e-9, ...c.points.map(([t]) => t));
  const dataMax = Math.max(1e-9, ...c.points.map(([, v]) => v));
  const ceilingInRange = c.ceiling !== undefined && c.ceiling.value <= 3 * dataMax;
  const yMax = Math.max(dataMax * 1.15, ceilingInRange ? c.ceiling!.value * 1.08 : 0);
  const x = (v: number) => +(PAD.left + (v / xMax) * PLOT_W).toFixed(1);
  const y = (v: number) => +(PAD.top + PLOT_H - (v / yMax) * PLOT_H).toFixed(1);
  let body = axes(ticks(0, xMax), ticks(0, yMax), x, y);
  if (c.ceiling) {
    const cy = ceilingInRange ? y(c.ceiling.value) : PAD.top;
    const text = ceilingInRange ? c.ceiling.label
      : `${c.ceiling.label}: off scale, ${formatNumber(c.ceiling.value / dataMax)}× the rate drawn`;
    body += `<line x1="${PAD.left}" y1="${cy}" x2="${PAD.left + PLOT_W}" y2="${cy}" class="ceiling"/>` +
      `<text x="${PAD.left + PLOT_W - 4}" y="${cy - 5}" text-anchor="end" class="ceiling-label">${escapeHtml(text)}</text>`;
  }
  const path = c.points.map(([t, v]) => `${x(t)},${y(v)}`).join(' ');
  body += c.points.length > 1 ? `<polyline points="${path}" class="series"/>` : '';
  body += c.points.map(([t, v]) => `<circle cx="${x(t)}" cy="${y(v)}" r="${c.points.length > 40 ? 1.5 : 3}" class="point"/>`).join('');
  return frame(c.cls, c.label, dataAttributes(c.data), body, c.xLabel, c.yLabel);
}

export interface Histogram {
  cls: string;
  data: Record<string, string>;
  label: string;
  edges: number[];
  counts: number[];
  /** Vertical marks (percentiles), in the edges' unit. */
  markers: { value: number; label: string }[];
  xLabel: string;
  yLabel: string;
}

export function histogram(c: Histogram): string {
  const lo = c.edges[0] ?? 0;
  const hi = c.edges[c.edges.length - 1] ?? 1;
  const span = Math.max(hi - lo, 1e-12);
  const top = Math.max(1, ...c.counts) * 1.15;
  const x = (v: number) => +(PAD.left + ((v - lo) / span) * PLOT_W).toFixed(1);
  const y = (v: number) => +(PAD.top + PLOT_H - (v / top) * PLOT_H).toFixed(1);
  let body = axes(ticks(lo, hi, 6).filter((v) => v >= lo && v <= hi), ticks(0, top).filter((v) => Number.isInteger(v)), x, y);
  body += c.counts.map((n, i) => `<rect x="${x(c.edges[i])}" y="${y(n)}" width="${Math.max(0.5, x(c.edges[i + 1]) - x(c.edges[i]) - 1)}" ` +
    `height="${+(PAD.top + PLOT_H - y(n)).toFixed(1)}" class="bar"><title>${formatNumber(c.edges[i])}–${formatNumber(c.edges[i + 1])}: ${n}</title></rect>`).join('');
  c.markers.forEach((m, k) => {
    const mx = x(Math.min(hi, Math.max(lo, m.value)));
    body += `<line x1="${mx}" y1="${PAD.top}" x2="${mx}" y2="${PAD.top + PLOT_H}" class="marker"/>` +
      `<text x="${mx + 3}" y="${PAD.top + 12 + 12 * k}" class="marker-label">${escapeHtml(m.label)}</text>`;
  });
  return frame(c.cls, c.label, dataAttributes(c.data), body, c.xLabel, c.yLabel);
}

function dataAttributes(data: Record<string, string>): string {
  return Object.entries(data).map(([k, v]) => `data-${k}="${escapeHtml(v)}"`).join(' ');
}
