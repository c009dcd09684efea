/**
 * The native runtime's answer to node-exporter and cAdvisor: the host's and every member
 * process's CPU and memory, under the metric names those exporters use, so the USE dashboards
 * and the benchmark read the same figures on both runtimes.
 */
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { childrenOf, statFields } from './processes.js';

const TICKS_PER_SECOND = 100;

export interface ProcessUsage {
  /** User + system CPU seconds of the process and its reaped children (PostgreSQL's backends). */
  cpuSeconds: number;
  /**
   * Memory in bytes: the proportional set size (shared pages divided among the processes that
   * share them), so PostgreSQL's shared buffers are not counted once per backend; the resident
   * size where /proc does not say.
   */
  rssBytes: number;
}

function proportionalSetSize(pid: number): number | undefined {
  try {
    const match = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU and memory of a process from /proc; undefined when it is gone. */
export function processUsage(pid: number): ProcessUsage | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // After the command: state(0) … utime(11) stime(12) cutime(13) cstime(14) … rss(21) in pages.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: proportionalSetSize(pid) ?? Number(fields[21]) * 4096 };
}

/** A member's usage with its children counted in (live ones; reaped ones are in cutime). */
export function memberUsage(pid: number): ProcessUsage | undefined {
  const own = processUsage(pid);
  if (!own) return undefined;
  for (const child of childrenOf(pid)) {
    const usage = processUsage(child);
    if (!usage) continue;
    own.cpuSeconds += usage.cpuSeconds;
    own.rssBytes += usage.rssBytes;
  }
  return own;
}

const line = (name: string, labels: Record<string, string>, value: number) => {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');
  return `${name}${text ? `{${text}}` : ''} ${value}`;
};

/** Prometheus text: host load, memory and CPU, and each running member's CPU and memory. */
export function hostMetrics(members: readonly { name: string; pid: number | null }[]): string {
  const out: string[] = [];
  const [l1, l5, l15] = loadavg();
  out.push('# HELP node_load1 1m load average.', '# TYPE node_load1 gauge', line('node_load1', {}, l1!));
  out.push('# HELP node_load5 5m load average.', '# TYPE node_load5 gauge', line('node_load5', {}, l5!));
  out.push('# HELP node_load15 15m load average.', '# TYPE node_load15 gauge', line('node_load15', {}, l15!));
  out.push('# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.', '# TYPE node_memory_MemTotal_bytes gauge', line('node_memory_MemTotal_bytes', {}, totalmem()));
  out.push('# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.', '# TYPE node_memory_MemAvailable_bytes gauge', line('node_memory_MemAvailable_bytes', {}, freemem()));
  out.push('# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.', '# TYPE node_cpu_seconds_total counter');
  cpus().forEach((cpu, i) => {
    for (const [mode, ms] of Object.entries(cpu.times)) out.push(line('node_cpu_seconds_total', { cpu: String(i), mode: mode === 'sys' ? 'system' : mode }, ms / 1000));
  });
  out.push('# HELP container_cpu_usage_seconds_total Cumulative CPU time consumed in seconds.', '# TYPE container_cpu_usage_seconds_total counter');
  const usages = members.filter((m) => m.pid !== null).map((m) => ({ name: m.name, usage: memberUsage(m.pid!) }));
  for (const { name, usage } of usages) if (usage) out.push(line('container_cpu_usage_seconds_total', { name }, usage.cpuSeconds));
  out.push('# HELP container_memory_working_set_bytes Current working set in bytes.', '# TYPE container_memory_working_set_bytes gauge');
  for (const { name, usage } of usages) if (usage) out.push(line('container_memory_working_set_bytes', { name }, usage.rssBytes));
  return `${out.join('\n')}\n`;
}
