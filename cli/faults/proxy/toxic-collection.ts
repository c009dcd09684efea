/**
 * The toxics of one proxy: parsing and checking what the API is sent, as Toxiproxy does (same
 * defaults, same errors, same order of checks). It only keeps the list; the proxy applies each
 * change to its open connections.
 */
import { z } from 'zod';
import { ApiError, parseBody } from './api-error.js';
import { findToxic, type ToxicDefinition } from './toxics/index.js';
import type { Stream, ToxicJson } from '../types.js';

/** A toxic as a proxy holds it. `seq` orders toxics in every chain by when they were added. */
export interface ToxicRecord {
  readonly name: string;
  readonly type: string;
  /** The direction the toxic acts on. */
  readonly direction: Stream;
  /** The stream as the client spelled it ("Upstream"), shown back as Toxiproxy does. */
  readonly stream: string;
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly definition: ToxicDefinition;
  readonly seq: number;
}

export interface ToxicCollection {
  /** Upstream toxics first, then downstream ones, each in the order they were added. */
  list(): readonly ToxicRecord[];
  /** Throws ToxicNotFound. */
  get(name: string): ToxicRecord;
  /** Parses a `POST /proxies/{p}/toxics` body and adds the toxic. */
  add(body: unknown): ToxicRecord;
  /** Parses a `POST /proxies/{p}/toxics/{t}` body: new attributes (merged) and toxicity. */
  update(name: string, body: unknown): ToxicRecord;
  remove(name: string): ToxicRecord;
  /** Removes all; returns what was removed, in `list` order. */
  clear(): ToxicRecord[];
}

// Any number, as Toxiproxy: 2 always applies, -1 never.
const toxicity = z.number();
const attributes = z.record(z.string(), z.unknown());
// Nullish like Go's decoder: a null field is a missing one.
const createBody = z.object({
  name: z.string().nullish(),
  type: z.string().nullish(),
  stream: z.string().nullish(),
  toxicity: toxicity.nullish(),
  attributes: attributes.nullish(),
});
const updateBody = z.object({ toxicity: toxicity.nullish(), attributes: attributes.nullish() });

let nextSeq = 1;

/** The toxic as the API shows it (Toxiproxy's field order). */
export function toxicJson(toxic: ToxicRecord): ToxicJson {
  const { attributes, name, type, stream, toxicity } = toxic;
  return { attributes: { ...attributes }, name, type, stream, toxicity } as ToxicJson;
}

/** Makes an empty toxic list for one proxy. */
export function createToxicCollection(): ToxicCollection {
  const toxics: ToxicRecord[] = [];
  const find = (name: string): ToxicRecord | undefined => toxics.find((t) => t.name === name);
  const get = (name: string): ToxicRecord => {
    const toxic = find(name);
    if (!toxic) throw new ApiError('ToxicNotFound');
    return toxic;
  };

  // Upstream first, then downstream, each in the order added: Toxiproxy's listing order.
  const list = (): ToxicRecord[] => [...toxics.filter((t) => t.direction === 'upstream'), ...toxics.filter((t) => t.direction === 'downstream')];

  return {
    list,
    get,
    add(body) {
      const input = parseBody(createBody, body);
      const stream = input.stream ?? 'downstream';
      const direction = parseStream(stream);
      const type = input.type ?? '';
      const name = input.name || `${type}_${stream}`;
      const definition = findToxic(type);
      if (!definition) throw new ApiError('InvalidToxicType');
      if (find(name)) throw new ApiError('ToxicAlreadyExists');
      const toxic: ToxicRecord = {
        name,
        type,
        direction,
        stream,
        toxicity: input.toxicity ?? 1,
        attributes: parseBody(definition.attributes, input.attributes ?? {}),
        definition,
        seq: nextSeq++,
      };
      toxics.push(toxic);
      return toxic;
    },
    update(name, body) {
      const old = get(name);
      const input = parseBody(updateBody, body);
      const toxic: ToxicRecord = {
        ...old,
        toxicity: input.toxicity ?? old.toxicity,
        attributes: parseBody(old.definition.attributes, { ...old.attributes, ...input.attributes }),
      };
      toxics[toxics.indexOf(old)] = toxic;
      return toxic;
    },
    remove(name) {
      const toxic = get(name);
      toxics.splice(toxics.indexOf(toxic), 1);
      return toxic;
    },
    clear() {
      const all = list();
      toxics.splice(0);
      return all;
    },
  };
}

// In any case, as Toxiproxy ("Upstream" is fine, "up" is not).
function parseStream(text: string): Stream {
  const lower = text.toLowerCase();
  if (lower === 'upstream' || lower === 'downstream') return lower;
  throw new ApiError('InvalidStream');
}
