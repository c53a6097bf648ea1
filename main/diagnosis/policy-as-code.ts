import { guardStep, hclString, safe, safeAll, yamlString, type StepSpec } from './shell';
import type { FixDraft } from './types';

/**
 * The same allow rules as code: Terraform for the three cloud security groups and Ansible tasks for the three
 * host firewalls, filled with the ranges and ports that are missing, so the change goes through review like any
 * other. Lists are written out (no external variables besides the security group id).
 */

// Ranges are checked as CIDRs (a placeholder passes) and still quoted for the language; ports are checked as ports.
const hclList = (xs: readonly string[]): string =>
  `[${xs.map((x) => hclString(safe('cidr', x))).join(', ')}]`;
const yamlList = (xs: readonly (string | number)[], indent: string): string =>
  xs
    .map((x) => `${indent}- ${typeof x === 'number' ? safe('port', x) : yamlString(safe('cidr', x))}`)
    .join('\n');

export function policyAsCode(
  ranges: readonly string[],
  ports: readonly number[],
  insertFirst: boolean,
): FixDraft[] {
  const v4 = ranges.filter((r) => !r.includes(':'));
  const v6 = ranges.filter((r) => r.includes(':'));
  const locals = (): string =>
    [
      'variable "security_group_id" {',
      '  type = string',
      '}',
      '',
      'locals {',
      `  cdn_ipv4     = ${hclList(v4)}`,
      `  cdn_ipv6     = ${hclList(v6)}`,
      `  origin_ports = [${safeAll('port', ports).join(', ')}]`,
      '}',
      '',
      '',
    ].join('\n');
  const pairs = (list: string): string =>
    `{ for p in setproduct(local.${list}, local.origin_ports) : "\${p[0]} \${p[1]}" => p }`;
  const aws = (family: 'ipv4' | 'ipv6'): string =>
    [
      `resource "aws_vpc_security_group_ingress_rule" "cdn_${family}" {`,
      `  for_each          = ${pairs(`cdn_${family}`)}`,
      '  security_group_id = var.security_group_id',
      `  cidr_${family}         = each.value[0]`,
      '  ip_protocol       = "tcp"',
      '  from_port         = each.value[1]',
      '  to_port           = each.value[1]',
      '  description       = "CDN back-to-origin"',
      '}',
    ].join('\n');
  const ali = (family: 'ipv4' | 'ipv6'): string =>
    [
      `resource "alicloud_security_group_rule" "cdn_${family}" {`,
      `  for_each          = ${pairs(`cdn_${family}`)}`,
      '  security_group_id = var.security_group_id',
      '  type              = "ingress"',
      '  ip_protocol       = "tcp"',
      '  policy            = "accept"',
      '  priority          = 1',
      '  port_range        = "${each.value[1]}/${each.value[1]}"',
      `  ${family === 'ipv4' ? 'cidr_ip     ' : 'ipv6_cidr_ip'}      = each.value[0]`,
      '  description       = "CDN back-to-origin"',
      '}',
    ].join('\n');
  const tencentBlock = (family: 'ipv4' | 'ipv6'): string =>
    [
      '  dynamic "ingress" {',
      `    for_each = setproduct(local.cdn_${family}, local.origin_ports)`,
      '    content {',
      '      action          = "ACCEPT"',
      `      ${family === 'ipv4' ? 'cidr_block     ' : 'ipv6_cidr_block'} = ingress.value[0]`,
      '      protocol        = "TCP"',
      '      port            = tostring(ingress.value[1])',
      '      description     = "CDN back-to-origin"',
      '    }',
      '  }',
    ].join('\n');
  const families = (['ipv4', 'ipv6'] as const).filter((f) => (f === 'ipv4' ? v4 : v6).length > 0);
  const play = (tasks: string): string =>
    [
      '- hosts: origin',
      '  become: true',
      '  vars:',
      '    cdn_ipv4:',
      yamlList(v4, '      ') || '      []',
      '    cdn_ipv6:',
      yamlList(v6, '      ') || '      []',
      '    origin_ports:',
      yamlList(ports, '      '),
      '  tasks:',
      tasks,
    ].join('\n');
  const iptablesTask = (family: 'ipv4' | 'ipv6'): string =>
    [
      `    - name: Allow CDN back-to-origin ranges (${family === 'ipv4' ? 'IPv4' : 'IPv6'})`,
      '      ansible.builtin.iptables:',
      '        chain: INPUT',
      '        action: insert',
      `        ip_version: ${family}`,
      '        protocol: tcp',
      '        source: "{{ item.0 }}"',
      '        destination_port: "{{ item.1 }}"',
      '        jump: ACCEPT',
      '        comment: CDN back-to-origin',
      `      loop: "{{ cdn_${family} | product(origin_ports) | list }}"`,
    ].join('\n');
  const steps: StepSpec[] = [
    {
      key: 'fix.terraform_aws',
      env: 'terraform',
      command: () => `${locals()}${families.map(aws).join('\n\n')}`,
    },
    {
      key: 'fix.terraform_alicloud',
      env: 'terraform',
      command: () => `${locals()}${families.map(ali).join('\n\n')}`,
    },
    {
      key: 'fix.terraform_tencentcloud',
      env: 'terraform',
      command: () =>
        `${locals()}resource "tencentcloud_security_group_rule_set" "cdn" {\n  security_group_id = var.security_group_id\n${families.map(tencentBlock).join('\n')}\n}`,
    },
    {
      key: 'fix.ansible_iptables',
      env: 'ansible',
      command: () => play(families.map(iptablesTask).join('\n')),
    },
    {
      key: 'fix.ansible_ufw',
      env: 'ansible',
      command: () =>
        play(
          [
            '    - name: Allow CDN back-to-origin ranges',
            '      community.general.ufw:',
            '        rule: allow',
            '        proto: tcp',
            '        from_ip: "{{ item.0 }}"',
            '        to_port: "{{ item.1 }}"',
            ...(insertFirst ? ['        insert: 1'] : []),
            '        comment: CDN back-to-origin',
            '      loop: "{{ (cdn_ipv4 + cdn_ipv6) | product(origin_ports) | list }}"',
          ].join('\n'),
        ),
    },
    {
      key: 'fix.ansible_firewalld',
      env: 'ansible',
      command: () =>
        play(
          families
            .map((f) =>
              [
                `    - name: Allow CDN back-to-origin ranges (${f === 'ipv4' ? 'IPv4' : 'IPv6'})`,
                '      ansible.posix.firewalld:',
                `        rich_rule: 'rule family="${f}" source address="{{ item.0 }}" port port="{{ item.1 }}" protocol="tcp" accept'`,
                '        zone: public',
                '        permanent: true',
                '        immediate: true',
                '        state: enabled',
                `      loop: "{{ cdn_${f} | product(origin_ports) | list }}"`,
              ].join('\n'),
            )
            .join('\n'),
        ),
    },
  ];
  return steps.flatMap(guardStep);
}
