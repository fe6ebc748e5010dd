// Small SVG charts, no library.
import { el } from './chain';

const ns = 'http://www.w3.org/2000/svg';
function svgEl(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(ns, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function barChart(
  data: { label: string; value: number }[],
  opts: { unit?: string; height?: number; empty?: string } = {},
): Element {
  if (!data.length) return el('div', { class: 'muted' }, opts.empty ?? 'no data');
  const h = opts.height ?? 160;
  const w = 560;
  const pad = { l: 44, b: 22, t: 10 };
  const max = Math.max(...data.map((d) => d.value), 1e-9);
  const bw = Math.min((w - pad.l) / data.length, 28);
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart' });
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + (h - pad.t - pad.b) * (1 - f);
    svg.append(svgEl('line', { x1: pad.l, x2: w, y1: y, y2: y, class: 'grid' }));
    const t = svgEl('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = `${(max * f).toFixed(max * f >= 10 ? 0 : 2)}${opts.unit ?? ''}`;
    svg.append(t);
  }
  data.forEach((d, i) => {
    const bh = ((h - pad.t - pad.b) * d.value) / max;
    const r = svgEl('rect', { x: pad.l + i * bw + 1, y: h - pad.b - bh, width: Math.max(bw - 2, 1), height: bh, class: 'bar' });
    const title = svgEl('title', {});
    title.textContent = `${d.label}: ${d.value.toFixed(3)}${opts.unit ?? ''}`;
    r.append(title);
    svg.append(r);
    if (data.length <= 12 || i % Math.ceil(data.length / 8) === 0) {
      const t = svgEl('text', { x: pad.l + i * bw + bw / 2, y: h - 6, 'text-anchor': 'middle', class: 'axis' });
      t.textContent = d.label;
      svg.append(t);
    }
  });
  return svg;
}

/// Grouped bars: one group per row, one bar per series.
export function groupedBars(
  rows: { label: string; values: number[] }[],
  series: string[],
  opts: { height?: number; max?: number } = {},
): Element {
  if (!rows.length) return el('div', { class: 'muted' }, 'no data');
  const h = opts.height ?? 200;
  const w = 560;
  const pad = { l: 34, b: 40, t: 10 };
  const max = opts.max ?? Math.max(1, ...rows.flatMap((r) => r.values));
  const gw = (w - pad.l) / rows.length;
  const bw = Math.min(18, (gw - 8) / series.length);
  const svg = svgEl('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart' });
  for (const f of [0, 0.5, 1]) {
    const y = pad.t + (h - pad.t - pad.b) * (1 - f);
    svg.append(svgEl('line', { x1: pad.l, x2: w, y1: y, y2: y, class: 'grid' }));
    const t = svgEl('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = String(Math.round(max * f));
    svg.append(t);
  }
  rows.forEach((row, i) => {
    const x0 = pad.l + i * gw + (gw - bw * series.length) / 2;
    row.values.forEach((v, j) => {
      const bh = ((h - pad.t - pad.b) * v) / max;
      const r = svgEl('rect', { x: x0 + j * bw, y: h - pad.b - bh, width: bw - 1, height: bh, class: `bar s${j}` });
      const title = svgEl('title', {});
      title.textContent = `${row.label} ${series[j]}: ${v}`;
      r.append(title);
      svg.append(r);
    });
    const t = svgEl('text', { x: pad.l + i * gw + gw / 2, y: h - pad.b + 14, 'text-anchor': 'middle', class: 'axis' });
    t.textContent = row.label;
    svg.append(t);
  });
  series.forEach((s, j) => {
    const x = pad.l + j * 90;
    svg.append(svgEl('rect', { x, y: h - 14, width: 10, height: 10, class: `bar s${j}` }));
    const t = svgEl('text', { x: x + 14, y: h - 5, class: 'axis' });
    t.textContent = s;
    svg.append(t);
  });
  return svg;
}
