/**
 * A dependency-free SVG chart: panels of horizontal bars, each the median of repeated runs with
 * a min–max whisker, every panel on its own linear scale.
 */
import type { Stat } from "./stats";

export interface Bar {
  readonly label: string;
  readonly value: Stat;
  /** Colour key: bars of the same series share a colour; the legend lists the series. */
  readonly series: string;
}

export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly bars: readonly Bar[];
  /** A vertical reference line (e.g. a target), with its label. */
  readonly reference?: { readonly value: number; readonly label: string };
}

const COLOURS = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1"];
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceMax(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function svgChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const width = 980;
  const labelW = 330;
  const plotW = width - labelW - 90;
  const barH = 14;
  const gap = 6;
  const series = [...new Set(panels.flatMap((p) => p.bars.map((b) => b.series)))];
  const colour = (s: string) => COLOURS[series.indexOf(s) % COLOURS.length]!;
  const out: string[] = [];
  let y = 58;
  for (const panel of panels) {
    const max = niceMax(Math.max(...panel.bars.map((b) => b.value.max), panel.reference?.value ?? 0));
    const x = (v: number) => labelW + (v / max) * plotW;
    out.push(`<text x="10" y="${y}" font-weight="bold" font-size="13">${esc(panel.title)}</text>`);
    y += 10;
    const top = y;
    for (const b of panel.bars) {
      const v = b.value;
      out.push(
        `<text x="${labelW - 6}" y="${y + barH - 3}" text-anchor="end" font-size="11">${esc(b.label)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${Math.max(0.5, x(v.median) - labelW).toFixed(1)}" height="${barH}" fill="${colour(b.series)}"><title>${esc(`${b.label}: median ${v.median.toFixed(2)} ${panel.unit} (min ${v.min.toFixed(2)}, max ${v.max.toFixed(2)}, ${v.runs} runs)`)}</title></rect>`,
        `<line x1="${x(v.min).toFixed(1)}" x2="${x(v.max).toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#222" stroke-width="1.2"/>`,
        `<line x1="${x(v.min).toFixed(1)}" x2="${x(v.min).toFixed(1)}" y1="${y + 3}" y2="${y + barH - 3}" stroke="#222"/>`,
        `<line x1="${x(v.max).toFixed(1)}" x2="${x(v.max).toFixed(1)}" y1="${y + 3}" y2="${y + barH - 3}" stroke="#222"/>`,
        `<text x="${(x(v.max) + 4).toFixed(1)}" y="${y + barH - 3}" font-size="10" fill="#444">${v.median < 10 ? v.median.toFixed(2) : v.median.toFixed(1)}</text>`,
      );
      y += barH + gap;
    }
    if (panel.reference) {
      const rx = x(panel.reference.value).toFixed(1);
      out.push(
        `<line x1="${rx}" x2="${rx}" y1="${top - 4}" y2="${y - gap + 2}" stroke="#c00" stroke-dasharray="4 3"/>`,
        `<text x="${rx}" y="${top - 6}" font-size="10" fill="#c00" text-anchor="middle">${esc(panel.reference.label)}</text>`,
      );
    }
    // Axis with five ticks.
    out.push(`<line x1="${labelW}" x2="${labelW + plotW}" y1="${y}" y2="${y}" stroke="#888"/>`);
    for (let i = 0; i <= 5; i++) {
      const v = (max * i) / 5;
      out.push(`<text x="${x(v).toFixed(1)}" y="${y + 12}" font-size="10" text-anchor="middle" fill="#555">${Number(v.toPrecision(3))}</text>`);
    }
    out.push(`<text x="${labelW + plotW + 8}" y="${y + 12}" font-size="10" fill="#555">${esc(panel.unit)}</text>`);
    y += 40;
  }
  const legend = series.map((s, i) => `<rect x="${10 + i * 190}" y="${y - 10}" width="10" height="10" fill="${colour(s)}"/><text x="${24 + i * 190}" y="${y - 1}" font-size="11">${esc(s)}</text>`);
  const height = y + 14;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="40" font-size="11" fill="#444">${esc(subtitle)}</text>`,
    ...out,
    ...legend,
    `</svg>`,
    "",
  ].join("\n");
}
