/**
 * One direction of one proxied connection: bytes from `source` to `sink`, through the chain of
 * toxic stages of that direction, as a Toxiproxy ToxicLink.
 *
 * Without a stage a link is `source.pipe(sink)`: Node moves the bytes with no work of ours per
 * chunk and honours back-pressure. With stages, the bytes go through them instead. Switching
 * between the two under live traffic loses and reorders nothing: `unpipe` leaves unread bytes in
 * the source, and a removed stage flushes what it holds to its successor before it leaves.
 *
 * The end of the stream (the source's FIN or error, or a stage ending early) goes through the
 * stages after it; when it reaches the sink, the link is *finished* and its connection closes the
 * sink — a whole close, not a half-close: Toxiproxy does not carry half-closed connections.
 */
import type { Socket } from 'node:net';
import type { ToxicOutput, ToxicStage } from './toxics/toxic.js';
import type { ToxicRecord } from './toxic-collection.js';

export interface Link {
  /** Adds a toxic after the others (its stage, unless the toxicity roll spares this connection). */
  add(toxic: ToxicRecord): Promise<void>;
  /** Runs a toxic again with new attributes and a new toxicity roll, as Toxiproxy's update. */
  update(toxic: ToxicRecord): Promise<void>;
  /** Takes a toxic out, handing on every byte its stage held. */
  remove(toxic: ToxicRecord): Promise<void>;
  /** The source socket is closed or failed: what the chain holds still goes out, then the end. */
  sourceGone(): void;
  /** Stops moving bytes for good; stages are flushed into the void and their timers stopped. */
  dispose(): void;
}

// Bytes a chain may hold before the sender is paused. It bounds memory per link and, with a
// latency toxic, caps throughput at HIGH_WATER / latency (1 MiB per 100 ms = 10 MB/s).
const HIGH_WATER = 1024 * 1024;

// A toxic in this link's chain; a connection spared by the toxicity roll has no stage.
interface Entry {
  readonly seq: number;
  toxic: ToxicRecord;
  stage?: ToxicStage;
}

/**
 * Starts moving bytes from `source` to `sink` through the stages of `toxics` (those of this
 * direction, in the order they were added), piped while no stage applies. `finished` is called
 * once, when the end has reached the sink.
 */
export function createLink(source: Socket, sink: Socket, toxics: readonly ToxicRecord[], finished: () => void): Link {
  const entries: Entry[] = []; // in chain order: by seq, the order the toxics were added
  let chained = false; // bytes go through the stages rather than a pipe
  let reading = true; // false once the source ended, failed, or a stage cut the stream
  let held = 0; // bytes inside the chain
  // Where the end of the stream is: 0 is the source, a toxic's seq is its stage. Anything a stage
  // before it (or it) still hands on comes after the end, and is dropped.
  let endAt = -1;
  let done = false; // the end reached the sink
  let disposed = false;

  const next = (position: number): Entry | undefined => entries.find((e) => e.seq > position && e.stage);
  const passes = (position: number): boolean => !disposed && position > endAt;

  const toSink = (chunk: Buffer): void => {
    held -= chunk.length;
    if (!done && !sink.destroyed) sink.write(chunk);
    flow();
  };
  const forward = (position: number, chunk: Buffer): void => {
    if (!passes(position)) return drop(chunk);
    const entry = next(position);
    if (entry) entry.stage!.write(chunk);
    else toSink(chunk);
  };
  const endFrom = (position: number): void => {
    if (!passes(position)) return;
    endAt = position;
    stopReading();
    const entry = next(position);
    if (entry) return entry.stage!.end();
    done = true;
    finished();
  };
  const drop = (chunk: Buffer): void => {
    held -= chunk.length;
    flow();
  };
  const outputOf = (entry: Entry): ToxicOutput => ({
    push: (chunk) => forward(entry.seq, chunk),
    end: () => endFrom(entry.seq),
    drop,
  });

  const onData = (chunk: Buffer): void => {
    held += chunk.length;
    forward(0, chunk);
    flow();
  };

  // Back-pressure while chained: the pipe's rule (wait for 'drain') plus a cap on held bytes.
  function flow(): void {
    if (!chained || !reading || disposed) return;
    if (held >= HIGH_WATER || sink.writableNeedDrain) source.pause();
    else if (source.isPaused()) source.resume();
  }

  function stopReading(): void {
    if (!reading) return;
    reading = false;
    source.unpipe(sink);
    source.off('data', onData);
    source.pause();
  }

  // Pipe when no stage applies, chain when one does.
  const settle = (): void => {
    if (disposed) return;
    const wanted = entries.some((e) => e.stage);
    if (wanted && !chained) {
      chained = true;
      if (reading) {
        source.unpipe(sink);
        source.on('data', onData);
      }
    } else if (!wanted && chained) {
      chained = false;
      if (reading) {
        source.off('data', onData);
        source.pipe(sink, { end: false });
      }
    }
    flow();
  };

  source.once('end', () => endFrom(0));
  sink.on('drain', flow);

  // Toxiproxy rolls the toxicity each time it runs a toxic on a connection.
  const applies = (toxic: ToxicRecord): boolean => Math.random() < toxic.toxicity;
  const createStage = (entry: Entry): ToxicStage => entry.toxic.definition.create(entry.toxic.attributes, outputOf(entry));

  // Toxiproxy's interrupt-and-run-again of one toxic on this connection.
  const restart = async (entry: Entry, toxic: ToxicRecord): Promise<void> => {
    entry.toxic = toxic;
    const stage = entry.stage;
    if (!applies(toxic)) {
      entry.stage = undefined;
      await stage?.flush();
    } else if (stage) {
      await stage.restart(toxic.attributes);
    } else {
      entry.stage = createStage(entry);
    }
    settle();
  };
  const before = (entry: Entry): Entry | undefined => entries[entries.indexOf(entry) - 1];
  const append = (toxic: ToxicRecord): void => {
    const entry: Entry = { seq: toxic.seq, toxic };
    if (applies(toxic)) entry.stage = createStage(entry);
    entries.push(entry);
  };
  for (const toxic of toxics) append(toxic);
  chained = entries.some((e) => e.stage);
  if (chained) source.on('data', onData);
  else source.pipe(sink, { end: false });

  return {
    async add(toxic) {
      if (disposed) return;
      // The toxic that was last is interrupted first: what it lets go then skips the newcomer.
      const last = entries.at(-1);
      if (last) await restart(last, last.toxic);
      if (disposed) return;
      append(toxic);
      settle();
    },
    async update(toxic) {
      const entry = entries.find((e) => e.seq === toxic.seq);
      if (disposed || !entry) return;
      await restart(entry, toxic);
    },
    async remove(toxic) {
      const entry = entries.find((e) => e.seq === toxic.seq);
      if (disposed || !entry) return;
      const previous = before(entry);
      await entry.stage?.flush(); // while still in the chain, so its bytes reach its successor
      const endWas = endAt;
      toxic.definition.cleanup?.(outputOf(entry));
      entries.splice(entries.indexOf(entry), 1);
      settle();
      // Toxiproxy runs the toxic before it again, unless the cleanup closed the stream.
      if (previous && endAt === endWas) await restart(previous, previous.toxic);
    },
    sourceGone() {
      endFrom(0);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      stopReading();
      sink.off('drain', flow);
      for (const entry of entries.splice(0)) void entry.stage?.flush();
    },
  };
}
