import { describe, expect, it } from 'vitest';
import { colorEnabled, renderTable, visibleWidth } from './output.js';

describe('colorEnabled', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;
  it('is on for a terminal, off for a pipe', () => {
    expect(colorEnabled(tty, {})).toBe(true);
    expect(colorEnabled(pipe, {})).toBe(false);
  });
  it('respects NO_COLOR and FORCE_COLOR', () => {
    expect(colorEnabled(tty, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(pipe, { FORCE_COLOR: '1' })).toBe(true);
  });
});

describe('renderTable', () => {
  it('aligns columns and ignores colour codes when measuring', () => {
    const text = renderTable(
      [
        { name: 'kafka', state: '\u001b[32mrunning\u001b[39m' },
        { name: 'postgres', state: 'stopped' },
      ],
      [
        { header: 'MEMBER', value: (r) => r.name },
        { header: 'STATE', value: (r) => r.state },
      ],
    );
    const lines = text.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['MEMBER    STATE', 'kafka     running', 'postgres  stopped']);
    expect(visibleWidth('\u001b[1mab\u001b[22m')).toBe(2);
  });
});
