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
  it('breaks a wrapping cell at spaces onto the next lines of its row, the other cells blank there', () => {
    const text = renderTable(
      [
        { part: 'up', measured: 'postgres 85, kafka 293, fault-proxy 23, frontend 49', ok: '✓' },
        { part: 'ceilings', measured: '2574 tx/s', ok: '' },
      ],
      [
        { header: 'PART', value: (r) => r.part },
        { header: 'MEASURED', value: (r) => r.measured, wrap: 23 },
        { header: '', value: (r) => r.ok },
      ],
    );
    expect(text.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''))).toEqual([
      'PART      MEASURED',
      'up        postgres 85, kafka 293,  ✓',
      '          fault-proxy 23,',
      '          frontend 49',
      'ceilings  2574 tx/s',
    ]);
  });

  it('breaks a list after its commas, never between a name and its figure', () => {
    const text = renderTable([{ measured: '33.3 in all: postgres 3.47, kafka 6.93, payment 4.73' }], [{ header: 'MEASURED', value: (r) => r.measured, wrap: 40 }]);
    expect(text.split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, '').trimEnd())).toEqual(['MEASURED', '33.3 in all: postgres 3.47, kafka 6.93,', 'payment 4.73']);
  });

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
