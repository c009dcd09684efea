/**
 * Colour for Ink components, on the same terms as the rest of the CLI's output: off under
 * NO_COLOR and when stdout is not a terminal, on with FORCE_COLOR. (Ink's own detection does
 * not read NO_COLOR.)
 */
import { colorEnabled } from '../lib/output.js';

export const colorOn = colorEnabled();

/** An Ink colour name, or undefined (the terminal's own colour) when colour is off. */
export function tint<T extends string>(name: T | undefined): T | undefined {
  return colorOn ? name : undefined;
}
