import { describe, expect, it } from 'vitest';
import { hostMetrics, memberUsage, processUsage } from './host-metrics.js';

describe('host metrics', () => {
  it('reads this process’s CPU and memory from /proc', () => {
    const usage = processUsage(process.pid)!;
    expect(usage.cpuSeconds).toBeGreaterThan(0);
    expect(usage.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(memberUsage(process.pid)!.rssBytes).toBeGreaterThanOrEqual(usage.rssBytes);
    expect(processUsage(2 ** 22 + 12345)).toBeUndefined();
  });

  it('speaks node-exporter’s and cAdvisor’s names, one line per member', () => {
    const text = hostMetrics([
      { name: 'order', pid: process.pid },
      { name: 'payment', pid: null },
    ]);
    expect(text).toMatch(/^node_load1 [\d.]+$/m);
    expect(text).toMatch(/^node_memory_MemAvailable_bytes \d+$/m);
    expect(text).toMatch(/^node_cpu_seconds_total\{cpu="0",mode="idle"\} [\d.]+$/m);
    expect(text).toMatch(/^container_cpu_usage_seconds_total\{name="order"\} [\d.]+$/m);
    expect(text).toMatch(/^container_memory_working_set_bytes\{name="order"\} \d+$/m);
    expect(text).not.toContain('name="payment"');
  });
});
