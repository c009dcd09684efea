/**
 * The toxics the fault proxy knows, by the type name the Toxiproxy API uses. A new toxic is one
 * file beside this one and one line here.
 */
import type { z } from 'zod';
import { bandwidth } from './bandwidth.js';
import { latency } from './latency.js';
import { limitData } from './limit-data.js';
import { resetPeer } from './reset-peer.js';
import { slowClose } from './slow-close.js';
import { timeout } from './timeout.js';
import type { ToxicDefinition } from './toxic.js';

export const toxicRegistry = {
  latency,
  bandwidth,
  slow_close: slowClose,
  timeout,
  reset_peer: resetPeer,
  limit_data: limitData,
} satisfies Record<string, ToxicDefinition>;

export type ToxicType = keyof typeof toxicRegistry;

/** The toxic type names, for help texts and validation in the CLI. */
export const toxicTypes = Object.keys(toxicRegistry) as ToxicType[];

/** The attributes each toxic type accepts (all optional, as Toxiproxy defaults them to 0). */
export type ToxicAttributes = { [T in ToxicType]: z.input<(typeof toxicRegistry)[T]['attributes']> };

/** The toxic type of that name, if there is one. */
export function findToxic(type: string): ToxicDefinition | undefined {
  return Object.hasOwn(toxicRegistry, type) ? toxicRegistry[type as ToxicType] : undefined;
}

export type { ToxicDefinition, ToxicOutput, ToxicStage } from './toxic.js';
