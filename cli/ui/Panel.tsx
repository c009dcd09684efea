/** A bordered box with a bold title line: one section of the dashboard. */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { tint } from './palette.js';

export interface PanelProps {
  title: ReactNode;
  width?: number | string;
  children: ReactNode;
}

export function Panel({ title, width, children }: PanelProps) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={tint('gray')} paddingX={1} width={width} flexShrink={0}>
      <Text bold wrap="truncate-end">
        {title}
      </Text>
      {children}
    </Box>
  );
}
