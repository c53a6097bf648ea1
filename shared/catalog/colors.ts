import type { TcpOutcome } from '../model/probe-data';

/** One colour per TCP outcome, the same in the app's charts and in the reports' SVG. */
export const OUTCOME_COLORS: Record<TcpOutcome, string> = {
  connected: '#1f883d',
  refused: '#cf222e',
  timeout: '#9a6700',
  unreachable: '#8250df',
  reset: '#bc4c00',
  error: '#57606a',
};
