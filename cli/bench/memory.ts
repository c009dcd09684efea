/** Resident memory of every member of a native lab, from its supervisor's /metrics. */
import { homePaths, readSupervisor } from '../runtime/native/home.js';

export async function memberMemory(home: string): Promise<Record<string, number>> {
  const info = readSupervisor(homePaths(home));
  if (!info) return {};
  const text = await (await fetch(`${info.controlUrl}/metrics`)).text();
  const memory: Record<string, number> = {};
  for (const match of text.matchAll(/^container_memory_working_set_bytes\{name="([^"]+)"\} (\d+)$/gm)) memory[match[1]!] = Math.round(Number(match[2]) / 1024 / 1024);
  return memory;
}
