/** The status line under `tail events`: events so far, the rate, the count per type, and what is watched. */
import { Box, Text } from 'ink';
import { isEventType } from '../../services/events/index.js';
import { STEP_COLORS, type TailFigures } from '../watch/index.js';
import { count, rate } from './figures.js';
import { colorOn, tint } from './palette.js';

export interface TailFooterProps {
  figures: TailFigures;
  /** Whether the history asked for (--from-beginning, --since) has been read. */
  caughtUp: boolean;
  /** What is watched: starting point and filters, in a few words. */
  scope: string;
}

export function TailFooter({ figures, caughtUp, scope }: TailFooterProps) {
  return (
    <Box flexDirection="column" marginTop={0}>
      <Text wrap="truncate-end">
        <Text bold>{count(figures.total)} events</Text>
        <Text> · {rate(figures.perSecond)}/s</Text>
        {figures.byType.map(({ type, count: n }) => (
          <Text key={type}>
            {' · '}
            <Text color={tint(isEventType(type) ? STEP_COLORS[type] : undefined)}>{type}</Text> {count(n)}
          </Text>
        ))}
        {figures.invalid > 0 ? (
          <Text>
            {' · '}
            <Text color={tint('red')}>not an event</Text> {count(figures.invalid)}
          </Text>
        ) : null}
      </Text>
      <Text dimColor={colorOn} wrap="truncate-end">
        {caughtUp ? 'live' : 'reading history…'} · {scope} · Ctrl-C stops
      </Text>
    </Box>
  );
}
