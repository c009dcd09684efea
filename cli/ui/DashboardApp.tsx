/** `pizza-lab dashboard`: samples the stack each interval and redraws the frame; q, Esc or Ctrl-C quits. */
import { useApp, useInput, useStdin } from 'ink';
import type { DashboardSource } from '../watch/index.js';
import { Dashboard } from './Dashboard.js';
import { useDashboard } from './use-dashboard.js';
import { useTerminalSize } from './use-terminal-size.js';

export interface DashboardAppProps {
  source: DashboardSource;
  intervalMs?: number;
  windowMs?: number;
}

export function DashboardApp({ source, intervalMs = 1000, windowMs = 10_000 }: DashboardAppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const { columns, rows } = useTerminalSize();
  const { data, error } = useDashboard(source, { intervalMs, windowMs });
  // Keys need raw mode; without a terminal on stdin, Ctrl-C arrives as SIGINT and the command ends the view.
  useInput(
    (input, key) => {
      if (input === 'q' || key.escape || (key.ctrl && input === 'c')) exit();
    },
    { isActive: isRawModeSupported === true },
  );
  return <Dashboard data={data} error={error} columns={columns} rows={rows} intervalMs={intervalMs} />;
}
