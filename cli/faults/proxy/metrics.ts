/**
 * `GET /metrics` in the Prometheus text format, written by hand: a few families, one series per
 * proxy (and direction). Byte counts come from the sockets' own counters, so forwarding pays
 * nothing for them.
 */
import type { Proxy } from './proxy.js';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  samples: { labels: Record<string, string>; value: number }[];
}

/** Renders the metrics of these proxies. */
export function renderMetrics(proxies: readonly Proxy[]): string {
  const stats = proxies.map((proxy) => ({ proxy: proxy.name, ...proxy.stats() }));
  const perDirection = (pick: (bytes: { received: number; sent: number }) => number): Family['samples'] =>
    stats.flatMap((s) =>
      (['upstream', 'downstream'] as const).map((direction) => ({
        labels: { proxy: s.proxy, direction },
        value: pick(s.bytes[direction]),
      })),
    );
  const perProxy = (pick: (s: (typeof stats)[number]) => number): Family['samples'] =>
    stats.map((s) => ({ labels: { proxy: s.proxy }, value: pick(s) }));

  const families: Family[] = [
    { name: 'toxiproxy_proxy_received_bytes_total', type: 'counter', help: 'Bytes read from the sending side.', samples: perDirection((b) => b.received) },
    { name: 'toxiproxy_proxy_sent_bytes_total', type: 'counter', help: 'Bytes written to the receiving side.', samples: perDirection((b) => b.sent) },
    { name: 'toxiproxy_proxy_connections', type: 'gauge', help: 'Open client connections.', samples: perProxy((s) => s.connections) },
    { name: 'toxiproxy_proxy_accepted_connections_total', type: 'counter', help: 'Client connections accepted.', samples: perProxy((s) => s.accepted) },
    { name: 'toxiproxy_proxy_enabled', type: 'gauge', help: '1 when the proxy listens, 0 when disabled.', samples: perProxy((s) => Number(s.enabled)) },
    { name: 'toxiproxy_proxy_toxics', type: 'gauge', help: 'Toxics on the proxy.', samples: perProxy((s) => s.toxics) },
  ];
  return families.map(renderFamily).join('');
}

function renderFamily({ name, type, help, samples }: Family): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const { labels, value } of samples) {
    const text = Object.entries(labels).map(([key, v]) => `${key}="${escapeLabel(v)}"`).join(',');
    lines.push(`${name}{${text}} ${value}`);
  }
  return lines.join('\n') + '\n';
}

// The exposition format's escapes for label values.
function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}
