/**
 * One direction of one proxied connection: bytes from `source` to `sink`.
 *
 * Without toxics a link is `source.pipe(sink)`: Node moves the bytes with no work of ours per
 * chunk, honours back-pressure and forwards the half-close. With toxics, the bytes go through the
 * chain of toxic stages instead. Switching between the two under live traffic loses and reorders
 * nothing: `unpipe` leaves unread bytes in the source, and a removed stage flushes what it holds
 * to its successor before it leaves.
 */
import type { Socket } from 'node:net';
import type { ToxicOutput, ToxicStage } from './toxics/toxic.js';
import type { ToxicRecord } from './toxic-collection.js';

/** How a stage ends the whole connection; the connection owning the link provides it. */
export interface ConnectionControl {
  close(): void;
  reset(): void;
}

export interface Link {
  /** Adds a toxic's stage, unless its toxicity roll says this connection is spared. */
  add(toxic: ToxicRecord): void;
  /** Takes a toxic's stage out, handing on every byte it held. */
  remove(name: string): void;
  /** Swaps a toxic's stage for one with new attributes (a fresh toxicity roll, as Toxiproxy). */
  replace(toxic: ToxicRecord): void;
  /** Stops moving bytes for good; stages are flushed into the void and their timers stopped. */
  dispose(): void;
}

// Bytes a chain may hold before the sender is paused. It bounds memory per link and, with a
// latency toxic, caps throughput at HIGH_WATER / latency (1 MiB per 100 ms = 10 MB/s).
const HIGH_WATER = 1024 * 1024;

interface Entry {
  readonly name: string;
  readonly seq: number;
  stage: ToxicStage;
}

/** Starts moving bytes from `source` to `sink` (piped until a toxic arrives). */
export function createLink(source: Socket, sink: Socket, connection: ConnectionControl): Link {
  const entries: Entry[] = [];
  let chained = false; // bytes go through the stages rather than a pipe
  let held = 0; // bytes inside the chain
  let sourceEnded = false;
  let closing = false; // a stage closed the connection; waiting for its last bytes to leave
  let disposed = false;

  const toSink = (chunk: Buffer): void => {
    held -= chunk.length;
    sink.write(chunk);
    flow();
  };

  // What comes out of `entry` goes into the entry after it, found at call time so that the
  // chain can change between a chunk going in and coming out.
  const writeAfter = (entry: Entry | undefined, chunk: Buffer): void => {
    if (disposed) return;
    const next = entries[entry ? entries.indexOf(entry) + 1 : 0];
    if (next) next.stage.write(chunk);
    else toSink(chunk);
  };
  const endAfter = (entry: Entry | undefined): void => {
    if (disposed) return;
    const next = entries[entry ? entries.indexOf(entry) + 1 : 0];
    if (next) next.stage.end();
    else sink.end();
  };

  // A stage closing the connection ends this direction after the bytes it already let through
  // (and after later stages, a slow_close say, had their way with them), then closes both sides.
  const closeAfter = (entry: Entry): void => {
    if (disposed || closing) return;
    closing = true;
    source.pause();
    if (sink.writableFinished) connection.close();
    else sink.once('finish', () => connection.close());
    endAfter(entry);
  };

  const outputOf = (entry: Entry): ToxicOutput => ({
    push: (chunk) => writeAfter(entry, chunk),
    end: () => endAfter(entry),
    close: () => closeAfter(entry),
    reset: () => disposed || connection.reset(),
  });

  const onData = (chunk: Buffer): void => {
    if (closing) return;
    held += chunk.length;
    writeAfter(undefined, chunk);
    flow();
  };

  // Back-pressure while chained: the pipe's rule (wait for 'drain') plus a cap on held bytes.
  function flow(): void {
    if (!chained || sourceEnded || closing || disposed) return;
    if (held >= HIGH_WATER || sink.writableNeedDrain) source.pause();
    else if (source.isPaused()) source.resume();
  }

  const chain = (): void => {
    source.unpipe(sink);
    source.on('data', onData);
    chained = true;
    flow();
  };
  const unchain = (): void => {
    source.off('data', onData);
    chained = false;
    if (!sourceEnded && !closing) source.pipe(sink);
  };

  source.once('end', () => {
    sourceEnded = true;
    if (chained) endAfter(undefined);
  });
  sink.on('drain', flow);
  source.pipe(sink);

  const insert = (toxic: ToxicRecord): void => {
    if (Math.random() >= toxic.toxicity) return;
    const entry = { name: toxic.name, seq: toxic.seq } as Entry; // the stage's output needs the entry
    entry.stage = toxic.definition.create(toxic.attributes, outputOf(entry));
    // Toxics act in the order they were added, whatever the order they reach this link.
    const at = entries.findIndex((e) => e.seq > toxic.seq);
    entries.splice(at === -1 ? entries.length : at, 0, entry);
    if (!chained) chain();
  };

  const take = (name: string): void => {
    const index = entries.findIndex((e) => e.name === name);
    if (index === -1) return; // this connection was spared by the toxicity roll
    entries[index]!.stage.flush(); // while still in the chain, so its bytes reach its successor
    entries.splice(index, 1);
  };

  const settle = (): void => {
    if (disposed) return;
    if (chained && entries.length === 0) unchain();
    else flow();
  };

  return {
    add(toxic) {
      if (disposed) return;
      insert(toxic);
    },
    remove(name) {
      if (disposed) return;
      take(name);
      settle();
    },
    replace(toxic) {
      if (disposed) return;
      take(toxic.name);
      insert(toxic);
      settle();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      source.unpipe(sink);
      source.off('data', onData);
      sink.off('drain', flow);
      for (const entry of entries.splice(0)) entry.stage.flush();
    },
  };
}
