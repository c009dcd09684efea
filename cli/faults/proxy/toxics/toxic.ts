/**
 * The core of every toxic, after Toxiproxy: a toxic is something that pipes bytes. For each
 * connection it applies to, a toxic makes one *stage* that sits in one direction of that
 * connection. Bytes come in through `write`, and the stage hands them on through its output
 * when and how it likes: later (latency), slower (bandwidth), never (timeout), or not at all
 * because it ends the stream instead (timeout, reset_peer, limit_data).
 *
 * Toxiproxy 2.12.0 is the reference, as its code behaves (its README says otherwise in places):
 * an end, whoever hands it on, closes the whole connection once it has gone through the stages
 * after it, and a toxic that is updated, or whose successor in the chain is added or removed, is
 * interrupted and run again (`restart`).
 *
 * Stages are chained in the order the toxics were added; the link that owns the chain pauses the
 * sender while too many bytes sit inside it, so a stage may hold bytes without counting them.
 */
import type { z } from 'zod';

/** Where a stage sends what it lets through. */
export interface ToxicOutput {
  /** Hands bytes to the next stage (or the socket), in the order received. */
  push(chunk: Buffer): void;
  /**
   * Hands on the end of the stream. When it has gone through the stages after this one, the proxy
   * closes the socket it writes to, and with it the connection, as Toxiproxy does. A stage that
   * ends before its input did (timeout, limit_data, reset_peer) cuts its direction: what the
   * sender still sends is not read any more.
   */
  end(): void;
  /** Lets bytes fall on the floor (timeout does), so that the link stops counting them as held. */
  drop(chunk: Buffer): void;
}

/** One toxic at work on one direction of one connection. */
export interface ToxicStage<Attributes = Record<string, unknown>> {
  /** Bytes from the previous stage. */
  write(chunk: Buffer): void;
  /** The previous stage (or the sender) handed on the end of the stream. */
  end(): void;
  /**
   * Toxiproxy interrupts the toxic and runs it again, with `attributes` (new ones on an update,
   * the same ones when the toxic after it was added or removed). What that does is each toxic's
   * own: latency lets the chunk it waits on go at once, timeout starts its countdown again… A
   * promise makes the change wait, as Toxiproxy's does for a reset_peer that is counting down.
   */
  restart(attributes: Attributes): void | Promise<void>;
  /**
   * The toxic is leaving this connection (removed, spared by a new toxicity roll, or the
   * connection closed): push everything still held, hand on a held end, cancel timers, and stay
   * silent afterwards. A promise makes the removal wait.
   */
  flush(): void | Promise<void>;
}

/** A toxic type: its attributes (validated, with defaults) and how to make a stage. */
export interface ToxicDefinition<Schema extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>> {
  readonly attributes: Schema;
  create(attributes: z.output<Schema>, out: ToxicOutput): ToxicStage<z.output<Schema>>;
  /**
   * Toxiproxy's Cleanup: what removing the toxic does to each connection of its direction, after
   * its stage (if any) was flushed — whether or not the toxicity roll applied it there.
   */
  cleanup?(out: ToxicOutput): void;
  /**
   * A connection opened while a toxic of this type is on the proxy closes with a TCP RST, however
   * it closes, even after the toxic is gone: Toxiproxy sets SO_LINGER 0 on its sockets.
   */
  readonly resetsConnections?: boolean;
}

/** Declares a toxic type; only here so TypeScript infers the attribute type for `create`. */
export function defineToxic<Schema extends z.ZodType<Record<string, unknown>>>(definition: ToxicDefinition<Schema>): ToxicDefinition<Schema> {
  return definition;
}
