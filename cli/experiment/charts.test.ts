import { describe, expect, it } from 'vitest';
import { lineChart, niceMax } from './charts.js';

describe('lineChart', () => {
  it('draws each series as a path, with a legend and shaded fault windows', () => {
    const svg = lineChart({
      title: 'Throughput <orders/s>',
      yLabel: 'orders/s',
      series: [
        { name: 'accepted', color: '#2a9d8f', points: [{ x: 0, y: 10 }, { x: 1, y: 12 }, { x: 2, y: 9 }] },
        { name: 'errors', color: '#e76f51', points: [] },
      ],
      shades: [{ from: 1, to: 2, label: 'kill payment' }],
    });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Throughput &lt;orders/s&gt;');
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(svg).toContain('>accepted</text>');
    expect(svg).toContain('>kill payment</text>');
    expect(svg).toContain('fill-opacity="0.12"');
  });

  it('picks round axis maxima', () => {
    expect([0, 0.7, 3, 12, 99, 101, 480].map(niceMax)).toEqual([1, 1, 5, 20, 100, 200, 500]);
  });
});
