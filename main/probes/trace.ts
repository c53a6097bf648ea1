import type { TraceData, TraceHop } from '../../shared/model/probe-data';
import { decodeToolOutput, findExecutable, runTool } from './spawn';
import { parseMtrJson, parseTraceroute, parseTracepath, parseTracert, summariseHops } from './trace-parsers';
import type { ProbeContext } from './types';

export const MAX_HOPS = 24;

export type TraceToolName = 'traceroute' | 'mtr' | 'tracepath' | 'tracert';

interface TracePlan {
  readonly tool: TraceToolName;
  readonly path: string;
  readonly args: string[];
  readonly parse: (text: string) => TraceHop[];
}

/**
 * Picks the platform's trace tool and its arguments. Linux traceroute sends all probes of a run at once
 * (`-N` equal to the hop limit), so a black-holed path costs one wait, not one per hop; BSD traceroute and
 * Windows tracert are sequential, so the caller's deadline bounds them and the hops printed so far are kept.
 */
export function planTrace(
  address: string,
  family: 4 | 6,
  waitSeconds: number,
  find: (name: string) => string | null = findExecutable,
  platform: NodeJS.Platform = process.platform,
): TracePlan | null {
  const fam = family === 6 ? '-6' : '-4';
  const w = String(waitSeconds);
  const hops = String(MAX_HOPS);
  if (platform === 'win32') {
    const p = find('tracert');
    return p
      ? {
          tool: 'tracert',
          path: p,
          args: ['-d', '-h', hops, '-w', String(waitSeconds * 1000), fam, address],
          parse: parseTracert,
        }
      : null;
  }
  const traceroute = find('traceroute');
  if (traceroute && platform === 'linux') {
    return {
      tool: 'traceroute',
      path: traceroute,
      args: [fam, '-n', '-q', '1', '-N', hops, '-m', hops, '-w', w, address],
      parse: parseTraceroute,
    };
  }
  const mtr = find('mtr');
  if (mtr) {
    return {
      tool: 'mtr',
      path: mtr,
      args: ['--report', '--json', '-n', fam, '-c', '1', '-G', w, '-m', hops, address],
      parse: parseMtrJson,
    };
  }
  if (traceroute) {
    // BSD / macOS traceroute: no -4 / -6 flags (traceroute6 is separate) and no parallel probes.
    const bin = family === 6 ? (find('traceroute6') ?? traceroute) : traceroute;
    return {
      tool: 'traceroute',
      path: bin,
      args: ['-n', '-q', '1', '-m', hops, '-w', w, address],
      parse: parseTraceroute,
    };
  }
  const tracepath = find('tracepath');
  if (tracepath) {
    return {
      tool: 'tracepath',
      path: tracepath,
      args: [fam, '-n', '-m', hops, address],
      parse: parseTracepath,
    };
  }
  return null;
}

/** The path to one address with the platform's trace tool; a plain "not installed" result when none exists. */
export async function traceProbe(
  address: string,
  family: 4 | 6,
  ctx: ProbeContext,
  find: (name: string) => string | null = findExecutable,
): Promise<{ data: TraceData; raw: string }> {
  const waitSeconds = Math.max(1, Math.min(5, Math.floor(ctx.timeoutMs / 2000)));
  const plan = planTrace(address, family, waitSeconds, find);
  const empty = {
    hops: [],
    reached: false,
    lastResponder: null,
    lastResponderTtl: null,
    stopAnnotation: null,
  };
  if (!plan) {
    return {
      data: {
        target: address,
        tool: null,
        toolPath: null,
        args: [],
        problem: 'not_installed',
        exitCode: null,
        ...empty,
      },
      raw: '',
    };
  }
  const run = await runTool(plan.path, plan.args, {
    deadlineMs: Math.max(ctx.timeoutMs, waitSeconds * 2000) + 500,
    signal: ctx.signal,
    env: { ...process.env, LC_ALL: 'C', LANG: 'C' },
    onLine: (text) => ctx.onProgress({ kind: 'line', text }),
  });
  const text = decodeToolOutput(run.stdout);
  const hops = plan.parse(text);
  const problem: TraceData['problem'] = run.spawnError
    ? 'failed'
    : run.killed === 'cancelled'
      ? 'cancelled'
      : run.killed === 'deadline'
        ? 'killed_at_deadline'
        : run.exitCode !== 0 && hops.length === 0
          ? 'failed'
          : null;
  const raw = [
    `$ ${plan.path} ${plan.args.join(' ')}`,
    text.trimEnd(),
    run.stderr.trimEnd(),
    run.spawnError ?? '',
  ]
    .filter((s) => s !== '')
    .join('\n');
  return {
    data: {
      target: address,
      tool: plan.tool,
      toolPath: plan.path,
      args: plan.args,
      problem,
      exitCode: run.exitCode,
      hops,
      ...summariseHops(hops, address),
    },
    raw,
  };
}
