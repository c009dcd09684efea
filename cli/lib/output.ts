import { Chalk, type ChalkInstance } from 'chalk';

/**
 * Colour for people, plain text for pipes: off when NO_COLOR is set or stdout is not a TTY,
 * forced on by FORCE_COLOR.
 */
export function colorEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
}

export const color: ChalkInstance = new Chalk({ level: colorEnabled() ? 1 : 0 });
export const errColor: ChalkInstance = new Chalk({ level: colorEnabled(process.stderr) ? 1 : 0 });

/** Visible width of a string, ignoring ANSI colour codes. */
export function visibleWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? gap + text : text + gap;
}

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /** Longest line of a cell: longer text is broken onto the row's next lines (a list after its commas, other text at spaces). */
  wrap?: number;
}

/**
 * Breaks text into lines of at most `width` visible characters: a comma-separated list after its
 * commas, so that `payment 4.73` never loses its figure to the next line; other text at spaces.
 * A longer piece stands alone.
 */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.includes(', ') ? text.split(/(?<=,) /) : text.split(' ')) {
    if (current !== '' && visibleWidth(current) + 1 + visibleWidth(word) > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  lines.push(current);
  return lines;
}

/** A plain aligned table: a dim header line, then one line per row (more where a cell wraps). */
export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => (column.wrap ? wrapText(column.value(row), column.wrap) : [column.value(row)])));
  const widths = columns.map((column, i) => Math.max(visibleWidth(column.header), ...cells.flatMap((row) => row[i]!.map(visibleWidth))));
  const line = (values: string[]) =>
    values
      .map((value, i) => pad(value, widths[i]!, columns[i]!.align ?? 'left'))
      .join('  ')
      .trimEnd();
  const lines = cells.flatMap((row) => Array.from({ length: Math.max(...row.map((cell) => cell.length)) }, (_, n) => line(row.map((cell) => cell[n] ?? ''))));
  return [color.dim(line(columns.map((c) => c.header))), ...lines].join('\n');
}

/** Writes one line to stdout. */
export function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Writes one JSON document to stdout (for --json). */
export function sayJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A progress line on stderr rewritten in place (on a terminal): `show` replaces it, `clear` removes it. */
export function statusLine(stream: NodeJS.WriteStream = process.stderr) {
  let shown = false;
  return {
    show(text: string) {
      stream.write(`\r\u001b[2K${text}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}

/** A progress note on stderr, so that stdout stays clean for --json and pipes. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}
