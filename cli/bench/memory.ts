/** Resident memory of every member of a native lab, from its supervisor's /metrics. */
import { homePaths, readSupervisor } from '../runtime/native/home.js';
import { parseMetricsText } from '../watch/metrics-text.js';

export async function memberMemory(home: string): Promise<Record<string, number>> {
  const info = readSupervisor(homePaths(home));
  if (!info) return {};
  const text = await (await fetch(`${info.controlUrl}/metrics`)).text();
  const samples = parseMetricsText(text, (name) => name === 'container_memory_working_set_bytes');
  return Object.fromEntries(samples.map((s) => [s.labels.name!, Math.round(s.value / 1024 / 1024)]));
}
