import { createHash } from 'node:crypto';

/** A UUID derived from text (same text, same id): makes re-sent records deduplicate themselves. */
export function stableUuid(text: string): string {
  const hex = createHash('sha1').update(text).digest('hex');
  // Shaped as a version-5 UUID with the RFC 4122 variant.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
