/**
 * The core of every toxic, after Toxiproxy: a toxic is something that pipes bytes. For each
 * connection it applies to, a toxic makes one *stage* that sits in one direction of that
 * connection. Bytes come in through `write`, and the stage hands them on through its output
 * when and how it likes: later (latency), slower (bandwidth), never (timeout), or by killing the
 * connection instead (reset_peer, limit_data).
 *
 * Stages are chained in the order the toxics were added; the link that owns the chain pauses the
 * sender while too many bytes sit inside it, so a stage may hold bytes without counting them.
 */
import type { z } from 'zod';

/** Where a stage sends what it lets through. */
export interface ToxicOutput {
  /** Hands bytes to the next stage (or the socket), in the order received. */
  push(chunk: Buffer): void;
  /** Hands on the sender's half-close (FIN), after the last pushed byte. */
  end(): void;
  /** Closes the whole connection, both sides, after the bytes already pushed. */
  close(): void;
  /** Aborts the whole connection with a TCP RST ("connection reset by peer"). */
  reset(): void;
}

/** One toxic at work on one direction of one connection. */
export interface ToxicStage {
  /** Bytes from the previous stage. */
  write(chunk: Buffer): void;
  /** The sender half-closed after its last write. */
  end(): void;
  /**
   * The toxic is leaving this connection (removed, updated, or the connection closed): push
   * everything still held, hand on a held end, cancel timers, and stay silent afterwards.
   * It is what makes adding and removing toxics under live traffic lose no byte.
   */
  flush(): void;
}

/** A toxic type: its attributes (validated, with defaults) and how to make a stage. */
export interface ToxicDefinition<Schema extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  readonly attributes: Schema;
  create(attributes: z.output<Schema>, out: ToxicOutput): ToxicStage;
}

/** Declares a toxic type; only here so TypeScript infers the attribute type for `create`. */
export function defineToxic<Schema extends z.ZodType<Record<string, unknown>>>(definition: ToxicDefinition<Schema>): ToxicDefinition<Schema> {
  return definition;
}

/** A stage that lets everything through: the base the simple toxics start from. */
export function passThrough(out: ToxicOutput): ToxicStage {
  return { write: (chunk) => out.push(chunk), end: () => out.end(), flush: () => {} };
}
