/**
 * The dashboard's frame, drawn from one DashboardData: throughput with sparklines, orders by
 * state, latency percentiles, Kafka (consumer lag, outbox backlog, DLQ depth, breakers),
 * members and active faults. A terminal under 100×30 gets a compact layout without borders.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { ActiveFault } from '../faults/controller.js';
import { sparkline, type BreakerState, type DashboardData, type MemberView, type Percentiles } from '../watch/index.js';
import { clockTime, count, latency, rate, span } from './figures.js';
import { colorOn, tint } from './palette.js';
import { Panel } from './Panel.js';

/** Below this size the compact layout is used. */
const FULL_LAYOUT_MIN = { columns: 100, rows: 30 } as const;

export interface DashboardProps {
  /** Undefined until the first sample arrives. */
  data?: DashboardData;
  columns: number;
  /** Undefined when the frame is printed once (no terminal height to fit). */
  rows?: number;
  intervalMs?: number;
  /** Why the last refresh failed altogether, if it did. */
  error?: string;
}

const BREAKER_COLOR: Record<BreakerState, string> = { closed: 'green', 'half-open': 'yellow', open: 'red' };

const Dim = ({ children }: { children: ReactNode }) => <Text dimColor={colorOn}>{children}</Text>;

/** A figure that turns yellow when above zero (and red above `alarm`): backlog, lag, dead letters. */
function Level({ value, alarm = Infinity }: { value: number | undefined; alarm?: number }) {
  const colour = value === undefined || value <= 0 ? undefined : value >= alarm ? 'red' : 'yellow';
  return <Text color={tint(colour)}>{count(value)}</Text>;
}

function Header({ data, intervalMs }: { data?: DashboardData; intervalMs?: number }) {
  return (
    <Text wrap="truncate-end">
      <Text bold>pizza-lab dashboard</Text>
      <Dim>
        {data?.runtime ? ` · ${data.runtime}` : ''}
        {data ? ` · ${clockTime(data.at)}` : ''}
        {intervalMs ? ` · every ${span(intervalMs)} · q quits` : ''}
      </Dim>
    </Text>
  );
}

function States({ data }: { data: DashboardData }) {
  if (!data.states) return <Dim>orders by state: no order instance answers</Dim>;
  const { pending, paid, cancelled } = data.states;
  return (
    <Text wrap="truncate-end">
      <Text color={tint(pending > 0 ? 'yellow' : undefined)}>pending {count(pending)}</Text>
      {' · '}
      <Text color={tint('green')}>paid {count(paid)}</Text>
      {' · '}
      <Text color={tint(cancelled > 0 ? 'red' : undefined)}>cancelled {count(cancelled)}</Text>
    </Text>
  );
}

const perSecond = (value: number | undefined) => (value === undefined ? rate(value) : `${rate(value)}/s`).padStart(9);

function Throughput({ data, sparkWidth, label = 11 }: { data: DashboardData; sparkWidth: number; label?: number }) {
  const { created, completed, createdSeries, completedSeries } = data.rates;
  const max = Math.max(0, ...createdSeries, ...completedSeries);
  return (
    <>
      <Text wrap="truncate-end">
        {'created'.padEnd(label)}
        <Text bold>{perSecond(created)}</Text> <Text color={tint('cyan')}>{sparkline(createdSeries, { width: sparkWidth, max })}</Text>
      </Text>
      <Text wrap="truncate-end">
        {'completed'.padEnd(label)}
        <Text bold>{perSecond(completed)}</Text> <Text color={tint('green')}>{sparkline(completedSeries, { width: sparkWidth, max })}</Text>
      </Text>
    </>
  );
}

function LatencyRow({ name, p, label }: { name: string; p: Percentiles; label: number }) {
  const cell = (v: number | undefined) => latency(v).padStart(9);
  return (
    <Text wrap="truncate-end">
      {name.padEnd(label)}
      <Text bold>{cell(p.p50)}</Text>
      {cell(p.p95)}
      <Text color={tint(p.p99 !== undefined && p.p99 >= 0.5 ? 'red' : undefined)}>{cell(p.p99)}</Text>
      <Dim>{count(p.count).padStart(9)}</Dim>
    </Text>
  );
}

function Latency({ data, label = 14 }: { data: DashboardData; label?: number }) {
  return (
    <>
      <Dim>
        {''.padEnd(label)}
        {'p50'.padStart(9)}
        {'p95'.padStart(9)}
        {'p99'.padStart(9)}
        {'n'.padStart(9)}
      </Dim>
      <LatencyRow name="POST /orders" p={data.latency.post} label={label} />
      <LatencyRow name="saga" p={data.latency.saga} label={label} />
    </>
  );
}

const windowTitle = (data: DashboardData) => (data.latency.windowMs > 0 ? `last ${span(data.latency.windowMs)}` : 'waiting for a second sample');

function Breakers({ data }: { data: DashboardData }) {
  if (data.breakers.length === 0) return <Dim>no breaker reported</Dim>;
  return (
    <Text wrap="truncate-end">
      {data.breakers.map((b, i) => (
        <Text key={b.name}>
          {i > 0 ? ' · ' : ''}
          {b.name} <Text color={tint(BREAKER_COLOR[b.state])}>{b.state}</Text>
          {b.state !== 'closed' && b.members.length < b.of ? <Dim> ({b.members.join(', ')})</Dim> : null}
        </Text>
      ))}
    </Text>
  );
}

function memberMark(m: MemberView) {
  return <Text color={tint(m.up ? 'green' : 'red')}>{m.up ? '●' : '✖'}</Text>;
}

function faultLine(f: ActiveFault) {
  return `${f.target}: ${f.detail}`;
}

function FullLayout({ data, columns }: { data: DashboardData; columns: number }) {
  const left = Math.floor(columns * 0.6);
  const right = columns - left;
  const sparkWidth = Math.max(10, Math.min(60, left - 4 - 21));
  const up = data.members.filter((m) => m.up).length;
  const cell = Math.floor((right - 4) / 2);
  return (
    <Box flexDirection="row">
      <Box flexDirection="column" width={left}>
        <Panel title="Orders per second (last minute)">
          <Throughput data={data} sparkWidth={sparkWidth} />
          <States data={data} />
        </Panel>
        <Panel title={`Latency · ${windowTitle(data)}`}>
          <Latency data={data} />
        </Panel>
        <Panel title="Kafka">
          <Box flexDirection="row">
            <Box flexDirection="column" width={Math.floor((left - 4) * 0.6)}>
              <Dim>consumer lag</Dim>
              {data.lag.length === 0 ? <Dim>—</Dim> : null}
              {data.lag.map((l) => (
                <Text key={l.group} wrap="truncate-end">
                  {l.group.padEnd(21)}
                  <Level value={l.lag} alarm={1000} />
                  {l.fromKafka ? <Dim> (Kafka)</Dim> : null}
                </Text>
              ))}
            </Box>
            <Box flexDirection="column">
              <Dim>outbox backlog</Dim>
              {data.outbox.length === 0 ? <Dim>—</Dim> : null}
              {data.outbox.map((o) => (
                <Text key={o.service} wrap="truncate-end">
                  {o.service.padEnd(16)}
                  <Level value={o.backlog} alarm={1000} />
                </Text>
              ))}
            </Box>
          </Box>
          <Text wrap="truncate-end">
            DLQ depth <Level value={data.dlqDepth} alarm={1} />
          </Text>
          <Breakers data={data} />
        </Panel>
      </Box>
      <Box flexDirection="column" width={right}>
        <Panel title={`Members · ${up}/${data.members.length} up`}>
          {data.membersError ? <Text color={tint('red')}>runtime: {data.membersError}</Text> : null}
          <Box flexDirection="row" flexWrap="wrap">
            {data.members
              .filter((m) => m.up)
              .map((m) => (
                <Box key={m.name} width={cell}>
                  <Text wrap="truncate-end">
                    {memberMark(m)} {m.name}
                  </Text>
                </Box>
              ))}
          </Box>
          {/* Down members get a line each, so why they are down is readable. */}
          {data.members
            .filter((m) => !m.up)
            .map((m) => (
              <Text key={m.name} wrap="truncate-end">
                {memberMark(m)} {m.name}
                {m.note ? <Text color={tint('red')}> {m.note}</Text> : null}
              </Text>
            ))}
        </Panel>
        <Panel title="Active faults">
          {data.faultsError ? <Text color={tint('yellow')}>unknown: {data.faultsError}</Text> : null}
          {data.faults && data.faults.length === 0 ? <Dim>none</Dim> : null}
          {(data.faults ?? []).map((f) => (
            <Text key={`${f.kind}/${f.target}/${f.detail}`} color={tint('red')} wrap="truncate-end">
              {faultLine(f)}
            </Text>
          ))}
        </Panel>
      </Box>
    </Box>
  );
}

function CompactLayout({ data, columns }: { data: DashboardData; columns: number }) {
  const label = 11;
  const sparkWidth = Math.max(0, Math.min(30, columns - label - 21));
  const down = data.members.filter((m) => !m.up);
  // Lists (lag, members, faults) wrap under themselves rather than lose their end.
  const row = (name: string, content: ReactNode) => (
    <Box>
      <Box width={label} flexShrink={0}>
        <Dim>{name}</Dim>
      </Box>
      <Box flexGrow={1} flexShrink={1}>
        <Text>{content}</Text>
      </Box>
    </Box>
  );
  return (
    <Box flexDirection="column">
      <Throughput data={data} sparkWidth={sparkWidth} label={label} />
      {row('states', <States data={data} />)}
      <Dim>latency {windowTitle(data)}</Dim>
      <Latency data={data} label={label + 3} />
      {row(
        'lag',
        data.lag.length === 0
          ? '—'
          : data.lag.map((l, i) => (
              <Text key={l.group}>
                {i > 0 ? ' · ' : ''}
                {l.group} <Level value={l.lag} alarm={1000} />
                {l.fromKafka ? <Dim> (read from Kafka)</Dim> : null}
              </Text>
            )),
      )}
      {row('outbox', data.outbox.length === 0 ? '—' : data.outbox.map((o, i) => <Text key={o.service}>{i > 0 ? ' · ' : ''}{o.service} <Level value={o.backlog} alarm={1000} /></Text>))}
      {row('DLQ', <Level value={data.dlqDepth} alarm={1} />)}
      {row('breakers', <Breakers data={data} />)}
      {row(
        'members',
        <Text>
          {data.members.length - down.length}/{data.members.length} up
          {down.length > 0 ? <Text color={tint('red')}> · down: {down.map((m) => `${m.name}${m.note ? ` (${m.note})` : ''}`).join(', ')}</Text> : null}
          {data.membersError ? <Text color={tint('red')}> · runtime: {data.membersError}</Text> : null}
        </Text>,
      )}
      {row(
        'faults',
        data.faultsError ? <Text color={tint('yellow')}>unknown: {data.faultsError}</Text> : !data.faults || data.faults.length === 0 ? 'none' : <Text color={tint('red')}>{data.faults.map(faultLine).join(' · ')}</Text>,
      )}
    </Box>
  );
}

export function Dashboard({ data, columns, rows, intervalMs, error }: DashboardProps) {
  const compact = columns < FULL_LAYOUT_MIN.columns || (rows !== undefined && rows < FULL_LAYOUT_MIN.rows);
  return (
    <Box flexDirection="column" width={columns} height={rows !== undefined ? Math.max(1, rows - 1) : undefined} overflow="hidden">
      <Header data={data} intervalMs={intervalMs} />
      {error ? <Text color={tint('red')} wrap="truncate-end">last refresh failed: {error}</Text> : null}
      {!data ? <Dim>sampling…</Dim> : compact ? <CompactLayout data={data} columns={columns} /> : <FullLayout data={data} columns={columns} />}
    </Box>
  );
}
