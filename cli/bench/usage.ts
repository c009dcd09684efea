/** Memory and CPU of every member of a native lab, and the host's CPU, from its supervisor's /metrics. */
import { homePaths, readSupervisor } from '../runtime/native/home.js';
import { parseMetricsText, type MetricSample } from '../watch/metrics-text.js';

async function supervisorSamples(home: string, names: readonly string[]): Promise<MetricSample[]> {
  const info = readSupervisor(homePaths(home));
  if (!info) return [];
  const text = await (await fetch(`${info.controlUrl}/metrics`)).text();
  return parseMetricsText(text, (name) => names.includes(name));
}

export async function memberMemory(home: string): Promise<Record<string, number>> {
  const samples = await supervisorSamples(home, ['container_memory_working_set_bytes']);
  return Object.fromEntries(samples.map((s) => [s.labels.name!, Math.round(s.value / 1024 / 1024)]));
}

export interface CpuReading {
  /** CPU seconds each member (its whole process tree) has used so far. */
  members: Record<string, number>;
  /** CPU seconds of the host, busy and in all. */
  hostBusy: number;
  hostTotal: number;
}

export async function cpuReading(home: string): Promise<CpuReading> {
  const samples = await supervisorSamples(home, ['container_cpu_usage_seconds_total', 'node_cpu_seconds_total']);
  const reading: CpuReading = { members: {}, hostBusy: 0, hostTotal: 0 };
  for (const s of samples) {
    if (s.name === 'container_cpu_usage_seconds_total') reading.members[s.labels.name!] = s.value;
    else {
      reading.hostTotal += s.value;
      if (s.labels.mode !== 'idle' && s.labels.mode !== 'iowait') reading.hostBusy += s.value;
    }
  }
  return reading;
}

export interface CpuPerSaga {
  /** CPU milliseconds per saga, by member and in all. */
  msPerSaga: Record<string, number>;
  totalMsPerSaga: number;
  /** The share of the host's CPU time that was busy (0–1). */
  hostBusy: number;
}

/** CPU milliseconds per saga between two readings, by member, and how busy the host was. */
export function cpuPerSaga(before: CpuReading, after: CpuReading, sagas: number): CpuPerSaga {
  const msPerSaga: Record<string, number> = {};
  let total = 0;
  for (const [name, seconds] of Object.entries(after.members)) {
    const ms = ((seconds - (before.members[name] ?? 0)) * 1000) / Math.max(1, sagas);
    msPerSaga[name] = Math.round(ms * 100) / 100;
    total += ms;
  }
  const span = after.hostTotal - before.hostTotal;
  return { msPerSaga, totalMsPerSaga: Math.round(total * 100) / 100, hostBusy: span > 0 ? (after.hostBusy - before.hostBusy) / span : 0 };
}
