import { createHash } from 'node:crypto';
import { type Html, html } from '../html.ts';

/**
 * Server-rendered SVG charts: readable without JavaScript, styled by classes from admin.css (the CSP
 * forbids inline styles), each followed by its numbers as a table for screen readers and copying.
 */

export interface Bar {
  label: string;
  /** A longer label for the tooltip and the table. */
  title?: string;
  value: number;
  /** Shown at the end of the bar (defaults to the value). */
  note?: string;
}

/** Stable ids (captions label their SVG); titles are unique within a page. */
const idFor = (title: string) => `chart-${createHash('sha256').update(title).digest('hex').slice(0, 10)}`;

function shorten(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1).replace('.', ','));

/** Horizontal bars; `max` fixes the scale (100 for percentages), otherwise the largest value. */
export function barChart(p: { title: string; bars: Bar[]; max?: number; unit?: string; empty?: string }): Html {
  if (p.bars.length === 0) return html`<figure class="chart"><figcaption>${p.title}</figcaption><p class="muted">${p.empty ?? 'Chưa có dữ liệu.'}</p></figure>`;
  const id = idFor(p.title);
  const labelW = 230;
  const barW = 380;
  const rowH = 26;
  const width = labelW + barW + 120;
  const height = p.bars.length * rowH + 10;
  const max = p.max ?? Math.max(1, ...p.bars.map((b) => b.value));
  const unit = p.unit ?? '';
  return html`<figure class="chart">
<figcaption id="${id}">${p.title}</figcaption>
<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}" xmlns="http://www.w3.org/2000/svg">
${p.bars.map((b, i) => {
  const y = 5 + i * rowH;
  const w = Math.max(0, Math.round((b.value / max) * barW));
  return html`<g><title>${b.title ?? b.label}: ${b.note ?? `${fmt(b.value)}${unit}`}</title>
<text x="${labelW - 8}" y="${y + 17}" text-anchor="end" class="lbl">${shorten(b.label, 34)}</text>
<rect x="${labelW}" y="${y + 4}" width="${barW}" height="${rowH - 8}" class="track"/>
<rect x="${labelW}" y="${y + 4}" width="${w}" height="${rowH - 8}" class="bar"/>
<text x="${labelW + w + 6}" y="${y + 17}" class="val">${b.note ?? `${fmt(b.value)}${unit}`}</text></g>`;
})}
</svg>
<details><summary>Bảng số liệu</summary><table><tbody>${p.bars.map((b) => html`<tr><th scope="row">${b.title ?? b.label}</th><td>${b.note ?? `${fmt(b.value)}${unit}`}</td></tr>`)}</tbody></table></details>
</figure>`;
}

export interface Column {
  label: string;
  total: number;
  /** Part of the total drawn darker (e.g. passed). */
  part: number;
}

/** Vertical columns over time with a highlighted part; a legend names both. */
export function columnChart(p: { title: string; columns: Column[]; totalLabel: string; partLabel: string }): Html {
  const id = idFor(p.title);
  const colW = 44;
  const chartH = 180;
  const left = 36;
  const width = left + p.columns.length * colW + 10;
  const height = chartH + 50;
  const max = Math.max(1, ...p.columns.map((c) => c.total));
  const scale = (v: number) => Math.round((v / max) * chartH);
  return html`<figure class="chart">
<figcaption id="${id}">${p.title}</figcaption>
<p class="legend"><span class="key total"></span> ${p.totalLabel} <span class="key part"></span> ${p.partLabel}</p>
<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}" xmlns="http://www.w3.org/2000/svg">
<line x1="${left}" y1="${chartH + 10}" x2="${width - 5}" y2="${chartH + 10}" class="axis"/>
<text x="${left - 6}" y="18" text-anchor="end" class="val">${max}</text>
<text x="${left - 6}" y="${chartH + 10}" text-anchor="end" class="val">0</text>
${p.columns.map((col, i) => {
  const x = left + 6 + i * colW;
  const th = scale(col.total);
  const ph = scale(col.part);
  return html`<g><title>${col.label}: ${col.total} ${p.totalLabel.toLowerCase()}, ${col.part} ${p.partLabel.toLowerCase()}</title>
<rect x="${x}" y="${chartH + 10 - th}" width="${colW - 12}" height="${th}" class="bar total"/>
<rect x="${x}" y="${chartH + 10 - ph}" width="${colW - 12}" height="${ph}" class="bar part"/>
${col.total > 0 ? html`<text x="${x + (colW - 12) / 2}" y="${chartH + 4 - th}" text-anchor="middle" class="val">${col.total}</text>` : ''}
<text x="${x + (colW - 12) / 2}" y="${chartH + 28}" text-anchor="middle" class="lbl">${col.label}</text></g>`;
})}
</svg>
<details><summary>Bảng số liệu</summary><table><thead><tr><th>Tháng</th><th>${p.totalLabel}</th><th>${p.partLabel}</th></tr></thead><tbody>${p.columns.map((c) => html`<tr><th scope="row">${c.label}</th><td>${c.total}</td><td>${c.part}</td></tr>`)}</tbody></table></details>
</figure>`;
}
