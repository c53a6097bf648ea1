import type { CauseId } from '../../shared/catalog/ids';
import { findProvider } from '../../shared/catalog/providers';
import type { Endpoint } from '../../shared/model/report';
import { probesOf } from './network';
import { isLoopback } from '../origin/parsers';
import { routeCheckFor, routeFor } from '../../shared/net/routes';
import { REAL_IP_CHAIN } from '../policy/parsers/nginx';
import { blockedByRule, blockedScope } from './policy';
import { policyAsCode } from './policy-as-code';
import { addRouteSteps, localRouteSteps, swallowSteps } from './routes';
import { guardStep, safe, safeAll, type StepSpec } from './shell';
import { originNameFixes } from './origin-name';
import type { DiagnosisFacts, FixDraft } from './types';
import { appendAll } from '../../shared/util/arrays';

interface FixContext {
  readonly facts: DiagnosisFacts;
  readonly endpoints: readonly Endpoint[];
}

/** Stands in for the provider's ranges when none were given; the step above it says how to fill them in. */
export const RANGE_PLACEHOLDER = '<CDN_RANGE>';

const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/**
 * Commands that allow the provider's back-to-origin ranges to the endpoints' ports, per environment. With
 * `insertFirst` the ufw rule goes above existing ones (`ufw allow` appends, below a deny that would shadow it).
 */
export function allowCommands(
  ranges: readonly string[],
  ports: readonly number[],
  insertFirst = false,
): FixDraft[] {
  const list = ranges.length > 0 ? ranges : [RANGE_PLACEHOLDER];
  const v4 = list.filter((r) => !r.includes(':'));
  const v6 = list.filter((r) => r.includes(':'));
  // Every value is checked when a command is built (guardStep): a range or port that is not one leaves it out.
  const portList = (): string => safeAll('port', ports).join(',');
  const dport = (): string =>
    ports.length === 1 ? `--dport ${safe('port', ports[0]!)}` : `-m multiport --dports ${portList()}`;
  const out: FixDraft[] = [];
  const step = (spec: StepSpec): void => void appendAll(out, guardStep(spec));
  step({
    key: 'fix.allow_iptables',
    env: 'iptables',
    command: () =>
      [
        ...v4.map((r) => `iptables -I INPUT -p tcp -s ${safe('cidr', r)} ${dport()} -j ACCEPT`),
        ...v6.map((r) => `ip6tables -I INPUT -p tcp -s ${safe('cidr', r)} ${dport()} -j ACCEPT`),
      ].join('\n'),
  });
  const nftPorts = (): string =>
    ports.length === 1 ? safe('port', ports[0]!) : `{ ${safeAll('port', ports).join(', ')} }`;
  step({
    key: 'fix.allow_nftables',
    env: 'nftables',
    command: () =>
      [
        ...(v4.length
          ? [
              `nft insert rule inet filter input ip saddr { ${safeAll('cidr', v4).join(', ')} } tcp dport ${nftPorts()} accept`,
            ]
          : []),
        ...(v6.length
          ? [
              `nft insert rule inet filter input ip6 saddr { ${safeAll('cidr', v6).join(', ')} } tcp dport ${nftPorts()} accept`,
            ]
          : []),
      ].join('\n'),
  });
  step({
    key: 'fix.allow_ufw',
    env: 'ufw',
    command: () =>
      list
        .map(
          (r) =>
            `ufw ${insertFirst ? 'insert 1 ' : ''}allow proto tcp from ${safe('cidr', r)} to any port ${portList()}`,
        )
        .join('\n'),
  });
  step({
    key: 'fix.allow_firewalld',
    env: 'firewalld',
    command: () =>
      [
        ...(v4.length ? ['firewall-cmd --permanent --new-ipset=cdn-v4 --type=hash:net'] : []),
        ...v4.map((r) => `firewall-cmd --permanent --ipset=cdn-v4 --add-entry=${safe('cidr', r)}`),
        ...(v6.length
          ? ['firewall-cmd --permanent --new-ipset=cdn-v6 --type=hash:net --option=family=inet6']
          : []),
        ...v6.map((r) => `firewall-cmd --permanent --ipset=cdn-v6 --add-entry=${safe('cidr', r)}`),
        ...safeAll('port', ports).flatMap((p) => [
          ...(v4.length
            ? [
                `firewall-cmd --permanent --zone=public --add-rich-rule='rule source ipset="cdn-v4" port port="${p}" protocol="tcp" accept'`,
              ]
            : []),
          ...(v6.length
            ? [
                `firewall-cmd --permanent --zone=public --add-rich-rule='rule source ipset="cdn-v6" port port="${p}" protocol="tcp" accept'`,
              ]
            : []),
        ]),
        'firewall-cmd --reload',
      ].join('\n'),
  });
  step({
    key: 'fix.allow_windows',
    env: 'windows',
    command: () =>
      `New-NetFirewallRule -DisplayName "CDN back-to-origin" -Direction Inbound -Protocol TCP -LocalPort ${portList()} -RemoteAddress ${safeAll('cidr', list).join(',')} -Action Allow`,
  });
  step({
    key: 'fix.allow_aws',
    env: 'aws',
    command: () =>
      safeAll('port', ports)
        .map((p) => {
          const v4Ranges = v4.map((r) => `{CidrIp=${safe('cidr', r)}}`).join(',');
          const v6Ranges = v6.map((r) => `{CidrIpv6=${safe('cidr', r)}}`).join(',');
          const parts = [`IpProtocol=tcp,FromPort=${p},ToPort=${p}`];
          if (v4Ranges) parts.push(`IpRanges=[${v4Ranges}]`);
          if (v6Ranges) parts.push(`Ipv6Ranges=[${v6Ranges}]`);
          return `aws ec2 authorize-security-group-ingress --group-id <SECURITY_GROUP_ID> --ip-permissions '${parts.join(',')}'`;
        })
        .join('\n'),
  });
  appendAll(out, policyAsCode(list, ports, insertFirst));
  out.push({
    key: 'fix.allow_cloud_console',
    env: 'aliyun / tencent',
    params: { ranges: list.join(', '), ports: ports.join(',') },
  });
  return out;
}

/** On the origin: what listens on each port and on which address (`-p` adds the process, which needs root). */
function listeningChecks(ports: readonly number[], withProcess: boolean): FixDraft[] {
  return ports.flatMap((p) =>
    guardStep({
      key: 'check.listening',
      params: { port: p },
      env: 'linux',
      command: () => `ss -ltn${withProcess ? 'p' : ''} 'sport = :${safe('port', p)}'`,
    }),
  );
}

const hostPort = (e: Endpoint): string => {
  const a = safe('address', e.address);
  return `${e.family === 6 ? `[${a}]` : a}:${safe('port', e.port)}`;
};
const sslEndpoints = (ctx: FixContext): Endpoint[] => ctx.endpoints.filter((e) => e.scheme === 'https');

/** curl speaking to the origin's address as the CDN does: the domain's Host and SNI (--connect-to). */
function curlCheck(e: Endpoint, domain: string): string {
  const port = safe('port', e.port);
  const d = safe('domain', domain);
  return `curl -sk --connect-to ${d}:${port}:${hostPort(e)} ${safe('scheme', e.scheme)}://${d}:${port}/`;
}

/** For each endpoint: ask the origin directly, as the CDN does. */
function connectToChecks(ctx: FixContext, domain: string): FixDraft[] {
  return ctx.endpoints.flatMap((e) =>
    guardStep({ key: 'check.curl_connect_to', env: 'curl', command: () => curlCheck(e, domain) }),
  );
}

function opensslCheck(ctx: FixContext): FixDraft[] {
  const e = sslEndpoints(ctx)[0] ?? ctx.endpoints[0];
  const domain = ctx.facts.input.domain ?? '<DOMAIN>';
  return guardStep({
    key: 'check.openssl_chain',
    env: 'openssl',
    command: () =>
      e
        ? `openssl s_client -connect ${hostPort(e)} -servername ${safe('domain', domain)} -showcerts </dev/null`
        : '',
  });
}

/** What to check next and how to fix, for each cause, with the session's real values filled in. */
export function fixesFor(id: CauseId, ctx: FixContext): { checks: FixDraft[]; fix: FixDraft[] } {
  const ports = unique(ctx.endpoints.map((e) => e.port)).sort((a, b) => a - b);
  const addresses = unique(ctx.endpoints.map((e) => e.address));
  const ranges = ctx.facts.providerRanges;
  const domain = ctx.facts.input.domain ?? '<DOMAIN>';
  const fillRanges: FixDraft[] = ranges.length === 0 ? [{ key: 'fix.fill_ranges' }] : [];
  const portText = ports.join(', ');
  switch (id) {
    case 'cause.service_down':
      return {
        checks: [
          ...listeningChecks(ports, true),
          ...guardStep({
            key: 'check.listening_windows',
            env: 'windows',
            command: () =>
              `Get-NetTCPConnection -State Listen -LocalPort ${safeAll('port', ports).join(',')}`,
          }),
        ],
        fix: [
          {
            key: 'fix.start_service',
            env: 'systemd',
            command: 'systemctl status nginx\nsystemctl enable --now nginx',
          },
          ...guardStep({
            key: 'fix.listen_port',
            params: { ports: portText },
            env: 'nginx',
            command: () =>
              safeAll('port', ports)
                .map((p) => `listen ${p};\nlisten [::]:${p};`)
                .join('\n'),
          }),
        ],
      };
    case 'cause.firewall_drop':
      return {
        checks: [
          { key: 'check.drop_counters', env: 'iptables', command: 'iptables -L INPUT -v -n --line-numbers' },
          ...guardStep({
            key: 'check.tcpdump_syn',
            env: 'linux',
            command: () =>
              `tcpdump -ni any 'tcp[tcpflags] & tcp-syn != 0 and (${safeAll('port', ports)
                .map((p) => `port ${p}`)
                .join(' or ')})'`,
          }),
          { key: 'check.security_group', params: { ports: portText } },
        ],
        fix: [...fillRanges, ...allowCommands(ranges, ports)],
      };
    case 'cause.firewall_reject':
      return {
        checks: [
          { key: 'check.reject_rules', env: 'iptables', command: 'iptables -S | grep -n REJECT' },
          { key: 'check.reject_rules', env: 'nftables', command: 'nft list ruleset | grep -n reject' },
        ],
        fix: [...fillRanges, ...allowCommands(ranges, ports)],
      };
    case 'cause.routing':
      return {
        checks: [
          ...addresses.flatMap((a) =>
            guardStep({
              key: 'check.route_get',
              params: { address: a },
              env: 'linux',
              command: () => `ip route get ${safe('address', a)}`,
            }),
          ),
          ...addresses.flatMap((a) =>
            guardStep({
              key: 'check.trace',
              params: { address: a },
              env: 'linux',
              command: () => `traceroute -n ${safe('address', a)}`,
            }),
          ),
        ],
        fix: [
          { key: 'fix.verify_origin_ip', params: { addresses: addresses.join(', ') } },
          ...swallowSteps(ctx.facts),
          ...localRouteSteps(ctx.facts, addresses),
          // A route added here only helps when this machine had none: a router saying "no route" is upstream.
          ...addRouteSteps(
            ctx.facts,
            addresses.filter((a) => localNoRoute(ctx.facts, a)),
          ),
          { key: 'fix.check_routes' },
        ],
      };
    case 'cause.dns_misconfigured':
      return {
        checks: [
          ...guardStep({
            key: 'check.dig',
            params: { domain },
            env: 'dig',
            command: () => {
              const d = safe('domain', domain);
              return `dig +short ${d} A\ndig +short ${d} AAAA\ndig +trace ${d}`;
            },
          }),
        ],
        fix: [
          { key: 'fix.dns_point_to_provider', params: { domain } },
          { key: 'fix.dns_hide_origin', params: { domain } },
        ],
      };
    case 'cause.origin_overloaded':
      return {
        checks: [
          {
            key: 'check.listen_overflows',
            env: 'linux',
            command: 'nstat -az TcpExtListenOverflows TcpExtListenDrops',
          },
          {
            key: 'check.conntrack',
            env: 'linux',
            command:
              "sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max\ndmesg | grep -i 'table full'",
          },
        ],
        fix: [
          {
            key: 'fix.raise_backlog',
            env: 'linux',
            command: 'sysctl -w net.core.somaxconn=4096\nsysctl -w net.ipv4.tcp_max_syn_backlog=8192',
          },
          {
            key: 'fix.raise_conntrack',
            env: 'linux',
            command: 'sysctl -w net.netfilter.nf_conntrack_max=1048576',
          },
        ],
      };
    case 'cause.tls_cert_expired':
      return {
        checks: opensslCheck(ctx),
        fix: [
          ...guardStep({
            key: 'fix.renew_certbot',
            env: 'certbot',
            command: () => `certbot renew --cert-name ${safe('domain', domain)}\nsystemctl reload nginx`,
          }),
          ...guardStep({
            key: 'fix.renew_acmesh',
            env: 'acme.sh',
            command: () => `acme.sh --renew -d ${safe('domain', domain)} --force`,
          }),
          { key: 'fix.provider_origin_ca' },
        ],
      };
    case 'cause.tls_chain_incomplete':
      return {
        checks: opensslCheck(ctx),
        fix: [
          ...guardStep({
            key: 'fix.fullchain_nginx',
            env: 'nginx',
            command: () =>
              `ssl_certificate     /etc/letsencrypt/live/${safe('domain', domain)}/fullchain.pem;\nssl_certificate_key /etc/letsencrypt/live/${safe('domain', domain)}/privkey.pem;`,
          }),
          ...guardStep({
            key: 'fix.fullchain_apache',
            env: 'apache',
            command: () =>
              `SSLCertificateFile /etc/letsencrypt/live/${safe('domain', domain)}/fullchain.pem\nSSLCertificateKeyFile /etc/letsencrypt/live/${safe('domain', domain)}/privkey.pem`,
          }),
          { key: 'fix.fullchain_iis', env: 'iis' },
        ],
      };
    case 'cause.tls_hostname_mismatch':
      return {
        checks: opensslCheck(ctx),
        fix: [
          ...guardStep({
            key: 'fix.issue_for_domain',
            params: { domain },
            env: 'certbot',
            command: () => `certbot certonly --nginx -d ${safe('domain', domain)}`,
          }),
          ...guardStep({
            key: 'fix.server_name',
            params: { domain },
            env: 'nginx',
            command: () => `server_name ${safe('domain', domain)};`,
          }),
        ],
      };
    case 'cause.tls_untrusted':
      return {
        checks: opensslCheck(ctx),
        fix: [
          { key: 'fix.trusted_cert', params: { domain } },
          { key: 'fix.provider_origin_ca' },
          { key: 'fix.full_mode_interim' },
        ],
      };
    case 'cause.sni_required':
      return {
        checks: [
          ...opensslCheck(ctx),
          ...sslEndpoints(ctx).flatMap((e) =>
            guardStep({
              key: 'check.without_sni',
              env: 'openssl',
              command: () => `openssl s_client -connect ${hostPort(e)} -noservername </dev/null`,
            }),
          ),
        ],
        fix: [
          { key: 'fix.provider_send_sni', params: { domain } },
          ...guardStep({
            key: 'fix.default_server',
            params: { domain },
            env: 'nginx',
            command: () => `listen 443 ssl default_server;\nserver_name ${safe('domain', domain)};`,
          }),
        ],
      };
    case 'cause.protocol_port_mismatch':
      return {
        checks: connectToChecks(ctx, domain),
        fix: [
          { key: 'fix.match_protocol_port', params: { ports: portText } },
          { key: 'fix.listen_ssl', env: 'nginx', command: 'listen 443 ssl;\nlisten 80;' },
        ],
      };
    case 'cause.tls_handshake_failure':
      return {
        checks: [
          ...opensslCheck(ctx),
          ...sslEndpoints(ctx).flatMap((e) =>
            guardStep({
              key: 'check.tls_versions',
              env: 'openssl',
              command: () =>
                `openssl s_client -connect ${hostPort(e)} -servername ${safe('domain', domain)} -tls1_2 </dev/null`,
            }),
          ),
        ],
        fix: [
          {
            key: 'fix.tls_protocols',
            env: 'nginx',
            command: 'ssl_protocols TLSv1.2 TLSv1.3;\nssl_ciphers HIGH:!aNULL:!MD5;',
          },
          { key: 'fix.cert_installed', params: { domain } },
        ],
      };
    case 'cause.vhost_missing':
      return {
        checks: connectToChecks(ctx, domain),
        fix: [
          ...guardStep({
            key: 'fix.server_name',
            params: { domain },
            env: 'nginx',
            command: () =>
              `server {\n    listen 80;\n    listen 443 ssl;\n    server_name ${safe('domain', domain)};\n    # …the site's root or proxy_pass…\n}`,
          }),
          ...guardStep({
            key: 'fix.apache_vhost',
            params: { domain },
            env: 'apache',
            command: () => `<VirtualHost *:443>\n    ServerName ${safe('domain', domain)}\n</VirtualHost>`,
          }),
          ...guardStep({
            key: 'fix.iis_binding',
            params: { domain },
            env: 'iis',
            command: () =>
              `New-WebBinding -Name "Default Web Site" -Protocol https -Port 443 -HostHeader ${safe('domain', domain)} -SslFlags 1`,
          }),
        ],
      };
    case 'cause.redirect_loop':
      return {
        checks: ctx.endpoints.flatMap((e) =>
          guardStep({
            key: 'check.curl_redirects',
            env: 'curl',
            command: () => `${curlCheck(e, domain)} -I`,
          }),
        ),
        fix: [
          { key: 'fix.ssl_mode_full' },
          {
            key: 'fix.redirect_forwarded_proto',
            env: 'nginx',
            command: 'if ($http_x_forwarded_proto = "http") {\n    return 301 https://$host$request_uri;\n}',
          },
        ],
      };
    case 'cause.bound_to_loopback':
      return {
        checks: [
          ...loopbackListeners(ctx).map((line) => ({ key: 'check.listener_line', params: { line } })),
          ...listeningChecks(ports, true),
        ],
        fix: [
          ...guardStep({
            key: 'fix.listen_all',
            params: { ports: portText },
            env: 'nginx',
            command: () =>
              safeAll('port', ports)
                .map((p) => `listen ${p};\nlisten [::]:${p};`)
                .join('\n'),
          }),
          ...guardStep({
            key: 'fix.listen_all',
            params: { ports: portText },
            env: 'apache',
            command: () =>
              safeAll('port', ports)
                .map((p) => `Listen ${p}`)
                .join('\n'),
          }),
          { key: 'fix.app_bind_all', params: { ports: portText } },
          {
            key: 'fix.iis_iplisten',
            env: 'windows',
            command: 'netsh http show iplisten\nnetsh http add iplisten ipaddress=0.0.0.0',
          },
        ],
      };
    case 'cause.backorigin_not_allowed':
      return backoriginFixes(ctx, ports);
    case 'cause.keepalive_mismatch': {
      const idle = ctx.facts.input.provider
        ? findProvider(ctx.facts.input.provider)?.idleTimeoutS
        : undefined;
      const seconds = (idle?.seconds ?? 900) + 5;
      return {
        checks: [
          {
            key: 'check.keepalive',
            env: 'nginx',
            command: "nginx -T 2>/dev/null | grep -n 'keepalive_timeout'",
          },
        ],
        fix: [
          ...guardStep({
            key: 'fix.keepalive_longer',
            params: { seconds, source: idle?.source ?? '' },
            env: 'nginx',
            command: () => `keepalive_timeout ${safe('number', seconds)}s;\nkeepalive_requests 10000;`,
          }),
          ...guardStep({
            key: 'fix.keepalive_apache',
            params: { seconds },
            env: 'apache',
            command: () =>
              `KeepAlive On\nKeepAliveTimeout ${safe('number', seconds)}\nMaxKeepAliveRequests 10000`,
          }),
        ],
      };
    }
    case 'cause.policy_conflict':
      return conflictFixes(ctx);
    case 'cause.rate_limiting':
      return {
        checks: [
          { key: 'check.limit_req', env: 'nginx', command: "grep -rn 'limit_req\\|limit_conn' /etc/nginx/" },
          { key: 'check.fail2ban', env: 'fail2ban', command: 'fail2ban-client status' },
        ],
        fix: [
          ...fillRanges,
          ...guardStep({
            key: 'fix.real_ip',
            env: 'nginx',
            command: () =>
              [
                ...safeAll('cidr', ranges.length ? ranges : [RANGE_PLACEHOLDER]).map(
                  (r) => `set_real_ip_from ${r};`,
                ),
                'real_ip_header CF-Connecting-IP;  # or X-Forwarded-For',
              ].join('\n'),
          }),
          ...guardStep({
            key: 'fix.fail2ban_ignoreip',
            env: 'fail2ban',
            command: () =>
              `[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 ${safeAll('cidr', ranges.length ? ranges : [RANGE_PLACEHOLDER]).join(' ')}`,
          }),
        ],
      };
    case 'cause.origin_slow':
      return {
        checks: ctx.endpoints.flatMap((e) =>
          guardStep({
            key: 'check.curl_timing',
            env: 'curl',
            command: () =>
              `${curlCheck(e, domain)} -o /dev/null -w 'connect=%{time_connect} tls=%{time_appconnect} ttfb=%{time_starttransfer}\\n'`,
          }),
        ),
        fix: [{ key: 'fix.speed_up_origin' }, { key: 'fix.provider_timeout' }],
      };
    case 'cause.origin_app_error':
      return {
        checks: [{ key: 'check.error_log', env: 'nginx', command: 'tail -n 100 /var/log/nginx/error.log' }],
        fix: [{ key: 'fix.app_error' }],
      };
    case 'cause.h2_broken':
      return {
        checks: sslEndpoints(ctx).flatMap((e) =>
          guardStep({
            key: 'check.curl_h2',
            env: 'curl',
            command: () => `${curlCheck(e, domain)} --http2 -I`,
          }),
        ),
        fix: [
          { key: 'fix.disable_h2', env: 'nginx', command: 'listen 443 ssl;   # without "http2"\nhttp2 off;' },
        ],
      };
    case 'cause.origin_dns_error':
    case 'cause.origin_private_address':
    case 'cause.origin_loop':
      return originNameFixes(id, ctx.facts);
    case 'cause.ipv6_broken':
      return {
        checks: [
          ...listeningChecks(ports, false),
          { key: 'check.ip6tables', env: 'ip6tables', command: 'ip6tables -S INPUT' },
          ...guardStep({
            key: 'check.dig',
            params: { domain },
            env: 'dig',
            command: () => `dig +short ${safe('domain', domain)} AAAA`,
          }),
        ],
        fix: [
          ...guardStep({
            key: 'fix.listen_port',
            params: { ports: portText },
            env: 'nginx',
            command: () =>
              safeAll('port', ports)
                .map((p) => `listen [::]:${p};`)
                .join('\n'),
          }),
          { key: 'fix.ipv6_firewall', params: { ports: portText } },
          { key: 'fix.ipv6_record', params: { domain } },
        ],
      };
    default:
      return { checks: [], fix: [{ key: 'fix.see_article', params: { cause: id } }] };
  }
}

/** The fix environment each rule format is written for, so the file's own commands come first. */
const ENV_OF_FORMAT: Record<string, string> = {
  iptables: 'iptables',
  nftables: 'nftables',
  ufw: 'ufw',
  firewalld: 'firewalld',
  'firewalld-xml': 'firewalld',
  'aws-sg': 'aws',
  'aliyun-sg': 'aliyun / tencent',
  'tencent-sg': 'aliyun / tencent',
  'windows-json': 'windows',
  'windows-netsh': 'windows',
  nginx: 'nginx',
};

const MAX_FIX_RANGES = 64;

/** fail2ban jail of a ban chain (`f2b-sshd` → sshd), when the chain names one. */
function jailOf(chain: string): string | null {
  return /^(?:f2b|fail2ban)-(.+)$/.exec(chain)?.[1] ?? null;
}

/** Allow exactly the blocked parts, in the environments of the files that blocked them first. */
function backoriginFixes(ctx: FixContext, endpointPorts: number[]): { checks: FixDraft[]; fix: FixDraft[] } {
  const data = probesOf(ctx.facts.probes, 'policy')[0]?.data;
  const groups = data ? [...blockedByRule(data).values()] : [];
  const all = groups.flat();
  const scope = blockedScope(all);
  const cidrs = scope.cidrs.length ? scope.cidrs.slice(0, MAX_FIX_RANGES) : [...ctx.facts.providerRanges];
  const ports = scope.ports.length ? scope.ports : endpointPorts;
  const formats = new Set(
    all.map((b) => data?.files.find((f) => f.name === b.segment.rule?.file)?.format ?? ''),
  );
  const envs = new Set([...formats].map((f) => ENV_OF_FORMAT[f]).filter(Boolean));
  const checks: FixDraft[] = groups.slice(0, 6).map((items) => {
    const r = items[0]!.segment.rule!;
    return {
      key: 'check.policy_rule',
      params: { file: r.file, line: r.line, rule: r.text, ...(r.line === 0 ? { context: 'implicit' } : {}) },
    };
  });
  if (envs.has('iptables'))
    checks.push({
      key: 'check.drop_counters',
      env: 'iptables',
      command: 'iptables -L INPUT -v -n --line-numbers',
    });
  if (envs.has('nftables'))
    checks.push({
      key: 'check.drop_counters',
      env: 'nftables',
      command: 'nft -a list chain inet filter input',
    });
  const fix: FixDraft[] = [];
  // Banned provider addresses: lift the ban and keep the provider out of the jail for good.
  const bans = all.filter((b) => b.segment.ban && b.segment.rule);
  if (bans.length) {
    // The jail and addresses come from a rule file: each line is built (and checked) on its own.
    const lines = bans.flatMap((b) =>
      b.segment.cidrs.map((c) => () => {
        const jail = jailOf(b.segment.rule!.chain) ?? '<JAIL>';
        return `fail2ban-client set ${safe('name', jail)} unbanip ${safe('cidr', c.replace(/\/(32|128)$/, ''))}`;
      }),
    );
    appendAll(fix, [
      ...guardStep({
        key: 'fix.fail2ban_unban',
        env: 'fail2ban',
        command: () => unique(lines.map((l) => l())).join('\n'),
      }),
    ]);
    appendAll(fix, [
      ...guardStep({
        key: 'fix.fail2ban_ignoreip',
        env: 'fail2ban',
        command: () =>
          `[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 ${safeAll('cidr', ctx.facts.providerRanges.length ? ctx.facts.providerRanges : cidrs).join(' ')}`,
      }),
    ]);
  }
  if (all.some((b) => b.segment.outcome === 'http_deny'))
    appendAll(fix, [
      ...guardStep({
        key: 'fix.nginx_allow',
        env: 'nginx',
        command: () => [...safeAll('cidr', cidrs).map((c) => `allow ${c};`), 'deny all;'].join('\n'),
      }),
    ]);
  const explicit = all.some((b) => !b.segment.byDefault);
  const commands = allowCommands(cidrs, ports, explicit);
  appendAll(fix, [
    ...commands.filter((c) => c.env && envs.has(c.env)),
    ...commands.filter((c) => !c.env || !envs.has(c.env)),
  ]);
  if (scope.cidrs.length > MAX_FIX_RANGES)
    fix.unshift({ key: 'fix.more_ranges', params: { shown: MAX_FIX_RANGES, count: scope.cidrs.length } });
  return { checks, fix };
}

/** A rule that never fires because an earlier one decides first: move it above, or remove the earlier one. */
function conflictFixes(ctx: FixContext): { checks: FixDraft[]; fix: FixDraft[] } {
  const data = probesOf(ctx.facts.probes, 'policy')[0]?.data;
  const clashes = (data?.anomalies ?? []).filter(
    (a) => (a.kind === 'shadowed' || a.kind === 'correlated') && a.relevant && a.other,
  );
  const realIp = realIpFixes(ctx);
  return {
    checks: [
      ...realIp.checks,
      ...clashes.slice(0, 6).map((a) => ({
        key: 'check.policy_rule',
        params: { file: a.rule.file, line: a.rule.line, rule: a.rule.text },
      })),
    ],
    fix: [
      ...realIp.fix,
      ...clashes.slice(0, 6).map((a) => ({
        key: 'fix.reorder_rule',
        params: {
          file: a.rule.file,
          line: a.rule.line,
          rule: a.rule.text,
          otherLine: a.other!.line,
          other: a.other!.text,
        },
      })),
    ],
  };
}

/**
 * nginx with real_ip_header judges the visitor's address in allow / deny, so a list of the CDN's ranges then
 * `deny all` refuses every visitor. The CDN-only restriction belongs on the connecting address, which the realip
 * module keeps in `$realip_remote_addr` (nginx 1.9.7+), or in the firewall.
 */
function realIpFixes(ctx: FixContext): { checks: FixDraft[]; fix: FixDraft[] } {
  const rows = probesOf(ctx.facts.probes, 'policy').flatMap((p) => p.data.rows);
  const denied = rows.flatMap((r) =>
    r.segments.filter((s) => s.outcome === 'http_deny' && s.rule?.chain === REAL_IP_CHAIN),
  );
  const first = denied[0]?.rule;
  if (!first) return { checks: [], fix: [] };
  const ranges = ctx.facts.providerRanges.length ? ctx.facts.providerRanges : [RANGE_PLACEHOLDER];
  return {
    checks: [{ key: 'check.policy_rule', params: { file: first.file, line: first.line, rule: first.text } }],
    fix: [
      {
        key: 'fix.nginx_real_ip_access',
        params: { file: first.file, line: first.line },
        env: 'nginx',
        command: [
          'geo $realip_remote_addr $from_cdn {',
          '    default 0;',
          ...ranges.map((r) => `    ${r} 1;`),
          '}',
          '# in the server block, instead of the allow list and deny all:',
          'if ($from_cdn = 0) { return 403; }',
        ].join('\n'),
      },
    ],
  };
}

/** The listener lines an origin-check bundle showed bound to loopback, as evidence to look at. */
function loopbackListeners(ctx: FixContext): string[] {
  const ports = new Set(ctx.endpoints.map((e) => e.port));
  return probesOf(ctx.facts.probes, 'origin').flatMap((p) =>
    p.data.listeners
      .filter((l) => (ports.size === 0 || ports.has(l.port)) && isLoopback(l.address))
      .map((l) => l.line),
  );
}

/**
 * True when nothing on this machine routes the address, so adding a route helps: the OS said so (no reject route
 * or rule of its own decided), or, without its answer, the table read from /proc has none.
 */
function localNoRoute(facts: DiagnosisFacts, address: string): boolean {
  const local = probesOf(facts.probes, 'local')[0]?.data;
  const check = routeCheckFor(local, address);
  if (check) return check.decision === 'no_route' && check.route === null;
  const routes = local?.routes;
  return routes !== undefined && routes !== null && routeFor(routes, address) === null;
}
