/**
 * Small hand-written SVG line charts for experiment reports: one or more series over the seconds
 * of a run, with the fault windows shaded so cause and effect sit side by side.
 */
export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

export interface Shade {
  from: number;
  to: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  series: Series[];
  shades?: Shade[];
  width?: number;
  height?: number;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" axis maximum: 1, 2 or 5 times a power of ten, at or above the value. */
export function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 860;
  const height = spec.height ?? 320;
  const m = { top: 36, right: 150, bottom: 40, left: 64 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x)).concat((spec.shades ?? []).flatMap((s) => [s.from, s.to]));
  const xMax = Math.max(1, ...xs);
  const yMax = niceMax(Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p.y))));
  const x = (v: number) => m.left + (v / xMax) * w;
  const y = (v: number) => m.top + h - (v / yMax) * h;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="${m.left}" y="22" font-size="15" font-weight="600">${escape(spec.title)}</text>`);
  for (const shade of spec.shades ?? []) {
    const x0 = x(shade.from);
    const x1 = x(Math.max(shade.from, shade.to));
    parts.push(`<rect x="${x0.toFixed(1)}" y="${m.top}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${h}" fill="#e4572e" fill-opacity="0.12"/>`);
    parts.push(`<text x="${(x0 + 3).toFixed(1)}" y="${m.top + 12}" fill="#b23a1b" font-size="11">${escape(shade.label)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${Number(v.toPrecision(3))}</text>`);
  }
  const xStep = niceMax(xMax / 8);
  for (let v = 0; v <= xMax; v += xStep) parts.push(`<text x="${x(v).toFixed(1)}" y="${m.top + h + 16}" text-anchor="middle" fill="#555">${v}s</text>`);
  parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#888"/>`);
  parts.push(`<text x="14" y="${m.top + h / 2}" transform="rotate(-90 14 ${m.top + h / 2})" text-anchor="middle" fill="#333">${escape(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
    const ly = m.top + 10 + i * 18;
    parts.push(`<line x1="${m.left + w + 16}" x2="${m.left + w + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${m.left + w + 42}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
