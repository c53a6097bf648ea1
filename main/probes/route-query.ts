import ipaddr from 'ipaddr.js';
import type { RouteCheck } from '../../shared/model/probe-data';
import {
  linuxRouteError,
  parseLinuxRouteGet,
  parseMacRouteGet,
  parseWindowsFindNetRoute,
  type RouteAnswer,
  unknownAnswer,
} from './route-query-parsers';
import { decodeToolOutput, findExecutable, runTool, type SpawnOutcome } from './spawn';

/** How long one route question may take: the kernel answers at once; a slow PowerShell start is the worst case. */
const QUERY_DEADLINE_MS = 8000;
const MAX_KEPT_OUTPUT = 4000;

export interface RouteQueryDeps {
  readonly platform?: NodeJS.Platform;
  readonly find?: (name: string) => string | null;
  readonly run?: typeof runTool;
}

type Run = (file: string, args: string[]) => Promise<SpawnOutcome>;

const text = (o: SpawnOutcome): string => `${decodeToolOutput(o.stdout)}${o.stderr}`;

const failed = (o: SpawnOutcome): string | null =>
  o.spawnError
    ? `could not start: ${o.spawnError}`
    : o.killed
      ? o.killed === 'deadline'
        ? 'no answer in time'
        : 'cancelled'
      : null;

/** Linux: `ip route get`, and when the kernel refuses, the matching routes of all tables and the rules. */
async function askLinux(ip: string, address: string, run: Run): Promise<[RouteAnswer, string[], string]> {
  const fam = address.includes(':') ? '-6' : '-4';
  const commands = [`ip route get ${address}`];
  const get = await run(ip, ['route', 'get', address]);
  const problem = failed(get);
  if (problem) return [unknownAnswer(problem), commands, text(get)];
  const getText = text(get);
  if (linuxRouteError(getText) === null) return [parseLinuxRouteGet(address, getText), commands, getText];
  const matchArgs = [fam, 'route', 'show', 'table', 'all', 'match', address];
  const ruleArgs = [fam, 'rule', 'show'];
  commands.push(`ip ${matchArgs.join(' ')}`, `ip ${ruleArgs.join(' ')}`);
  const [match, rules] = await Promise.all([run(ip, matchArgs), run(ip, ruleArgs)]);
  const answer = parseLinuxRouteGet(
    address,
    getText,
    failed(match) ? '' : text(match),
    failed(rules) ? '' : text(rules),
  );
  return [answer, commands, [getText, text(match), text(rules)].join('\n')];
}

/**
 * Asks the OS which route a probe to each address takes: `ip route get` on Linux, `route -n get` on macOS,
 * `Find-NetRoute` on Windows, each spawned with an argument array under LC_ALL=C. Addresses are parsed before
 * they reach a command line; an address that is not one, a missing tool or an unreadable answer is `unknown`.
 */
export async function queryRoutes(
  addresses: readonly string[],
  signal: AbortSignal,
  deps: RouteQueryDeps = {},
): Promise<RouteCheck[]> {
  const platform = deps.platform ?? process.platform;
  const find = deps.find ?? findExecutable;
  const exec = deps.run ?? runTool;
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const run: Run = (file, args) => exec(file, args, { deadlineMs: QUERY_DEADLINE_MS, signal, env });
  const tool =
    platform === 'linux'
      ? 'ip'
      : platform === 'darwin'
        ? 'route'
        : platform === 'win32'
          ? 'powershell'
          : null;
  const path = tool ? find(tool) : null;
  // One question per address, asked together: a PowerShell start takes about a second on Windows.
  const ask = async (raw: string): Promise<RouteCheck> => {
    let address: string;
    try {
      address = ipaddr.parse(raw).toString();
    } catch {
      return { address: raw, ...unknownAnswer('not an IP address'), commands: [], output: '' };
    }
    if (!tool || !path) {
      const why = tool ? `${tool} is not installed` : `no route query on ${platform}`;
      return { address: raw, ...unknownAnswer(why), commands: [], output: '' };
    }
    let answer: RouteAnswer;
    let commands: string[];
    let output: string;
    if (platform === 'linux') {
      [answer, commands, output] = await askLinux(path, address, run);
    } else if (platform === 'darwin') {
      const args = ['-n', 'get', ...(address.includes(':') ? ['-inet6'] : []), address];
      const o = await run(path, args);
      commands = [`route ${args.join(' ')}`];
      output = text(o);
      const problem = failed(o);
      answer = problem ? unknownAnswer(problem) : parseMacRouteGet(output);
    } else {
      // The address is a parsed IP literal, so it cannot break out of the quoted PowerShell string.
      const script = `Find-NetRoute -RemoteIPAddress '${address}' | Select-Object IPAddress,InterfaceAlias,InterfaceIndex,DestinationPrefix,NextHop,RouteMetric | ConvertTo-Json -Compress`;
      const args = ['-NoProfile', '-NonInteractive', '-Command', script];
      const o = await run(path, args);
      commands = [`powershell -Command "${script}"`];
      output = text(o);
      const problem = failed(o);
      answer = problem
        ? unknownAnswer(problem)
        : parseWindowsFindNetRoute(decodeToolOutput(o.stdout), o.stderr);
    }
    return { address: raw, ...answer, commands, output: output.slice(0, MAX_KEPT_OUTPUT) };
  };
  return Promise.all([...new Set(addresses)].map(ask));
}
