import { getServers } from 'node:dns';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { LocalData, RouteEntry } from '../../shared/model/probe-data';
import { parseProcNetIpv6Route, parseProcNetRoute } from './route-parsers';

const PROXY_VARS = [
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
];

/** Reads the kernel's routes where the platform exposes them as files (Linux); null elsewhere. */
function readRoutes(): RouteEntry[] | null {
  if (process.platform !== 'linux') return null;
  try {
    const v4 = parseProcNetRoute(readFileSync('/proc/net/route', 'utf8'), os.endianness() === 'LE');
    let v6: RouteEntry[] = [];
    try {
      v6 = parseProcNetIpv6Route(readFileSync('/proc/net/ipv6_route', 'utf8'));
    } catch {
      // IPv6 disabled: no IPv6 routes
    }
    return [...v4, ...v6];
  } catch {
    return null;
  }
}

/** The local environment: OS, interfaces, routes, resolvers and proxy settings of the machine probing. */
export function localEnvProbe(env: NodeJS.ProcessEnv = process.env): LocalData {
  const interfaces: LocalData['interfaces'] = [];
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    for (const i of list ?? []) {
      interfaces.push({
        name,
        address: i.address,
        family: i.family === 'IPv6' ? 6 : 4,
        cidr: i.cidr ?? null,
      });
    }
  }
  const routes = readRoutes();
  const proxy: Record<string, string> = {};
  for (const v of PROXY_VARS) if (env[v]) proxy[v] = env[v]!;
  return {
    os: process.platform,
    release: os.release(),
    arch: process.arch,
    hostname: os.hostname(),
    root: typeof process.getuid === 'function' && process.getuid() === 0,
    interfaces,
    routes,
    defaultGateways: (routes ?? []).filter((r) => r.prefix === 0 && r.gateway).map((r) => r.gateway!),
    dnsServers: getServers(),
    proxy,
  };
}
