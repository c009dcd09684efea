/**
 * Pieces several commands print the same way: the member table and the lab's addresses.
 */
import { color, renderTable } from '../lib/output.js';
import { TOOL_PORTS, type MemberStatus, type StackPlan } from '../runtime/index.js';

export function stateColor(member: Pick<MemberStatus, 'state' | 'healthy'>): string {
  const text = member.state;
  if (member.state === 'running') return member.healthy ? color.green(text) : color.yellow(`${text} (unhealthy)`);
  if (member.state === 'paused' || member.state === 'starting' || member.state === 'stopping') return color.yellow(text);
  if (member.state === 'stopped' || member.state === 'pending') return color.dim(text);
  return color.red(text);
}

export function memberTable(members: readonly MemberStatus[]): string {
  return renderTable(members, [
    { header: 'MEMBER', value: (m) => m.name },
    { header: 'KIND', value: (m) => m.kind },
    { header: 'STATE', value: (m) => stateColor(m) },
    { header: 'ADDRESS', value: (m) => m.address },
    { header: 'PID', value: (m) => (m.pid === null ? '—' : String(m.pid)), align: 'right' },
    { header: 'NOTE', value: (m) => color.dim(m.message ?? '') },
  ]);
}

/** The lab's addresses, and the pages of the monitoring tools that run beside it (compose). */
export function addresses(plan: StackPlan, tools: readonly string[] = []): string {
  const pages = TOOL_PORTS.filter((t) => tools.includes(t.tool)).map((t) => [t.tool, `http://${plan.host}:${plan.options.toolPorts[t.key]}  (monitoring, starting)`]);
  const rows = [
    ['web shop and API', `${plan.endpoints.gateway}  (OpenAPI: ${plan.endpoints.gateway}/api/openapi.json)`],
    ['Kafka (tools)', plan.brokers.length === 0 ? `${plan.endpoints.kafka.join(',')}  (existing, --kafka)` : plan.endpoints.kafka.join(',')],
    // An existing database's password is the user's own: not printed.
    ['PostgreSQL', plan.postgres.external ? `${plan.endpoints.postgres.replace(/:[^:@/]*@/, ':***@')}  (existing, --postgres)` : plan.endpoints.postgres],
    ['fault API', `${plan.endpoints.faultApi}  (Toxiproxy-compatible)`],
    ...pages,
  ];
  const width = Math.max(...rows.map(([label]) => label!.length));
  return rows.map(([label, value]) => `  ${color.bold(label!.padEnd(width))}  ${value}`).join('\n');
}
