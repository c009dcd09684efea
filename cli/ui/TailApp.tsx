/**
 * `tail events` on a terminal: each event a line printed once above a live footer (<Static>),
 * the footer redrawn in place.
 */
import { Static, Text } from 'ink';
import type { EventFeed, WatchedRecord } from '../watch/index.js';
import { TailFooter } from './TailFooter.js';
import { useTail } from './use-tail.js';

export interface TailAppProps {
  feed: EventFeed;
  /** One record as a line (colours included). */
  format: (record: WatchedRecord) => string;
  scope: string;
  flushMs?: number;
}

export function TailApp({ feed, format, scope, flushMs }: TailAppProps) {
  const { batch, figures, caughtUp } = useTail(feed, format, flushMs);
  return (
    <>
      {/* A fresh <Static> per batch prints that batch once; keying it drops what was printed. */}
      <Static key={batch.id} items={batch.lines.length > 0 ? [batch.lines.join('\n')] : []}>
        {(text) => <Text key="batch">{text}</Text>}
      </Static>
      <TailFooter figures={figures} caughtUp={caughtUp} scope={scope} />
    </>
  );
}
