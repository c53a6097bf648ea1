import { expect, test } from 'vitest';
import { policyAsCode } from '../../../main/diagnosis/policy-as-code';
import { allowCommands } from '../../../main/diagnosis/fixes';
import { diagnose } from '../../../main/diagnosis';
import { renderReport } from '../../../main/use-cases/export-report';
import { createTranslator } from '../../../shared/i18n/translate';
import { sampleReport, withPolicy } from '../../lab/report-fixture';

test('Terraform and Ansible carry exactly the missing ranges and ports', () => {
  const steps = policyAsCode(['173.245.48.0/20', '2400:cb00::/32'], [443, 8443], true);
  expect(steps.map((s) => `${s.env}:${s.key}`)).toEqual([
    'terraform:fix.terraform_aws',
    'terraform:fix.terraform_alicloud',
    'terraform:fix.terraform_tencentcloud',
    'ansible:fix.ansible_iptables',
    'ansible:fix.ansible_ufw',
    'ansible:fix.ansible_firewalld',
  ]);
  for (const s of steps) {
    expect(s.command).toContain('173.245.48.0/20');
    expect(s.command).toContain('2400:cb00::/32');
    expect(s.command).toMatch(/443/);
    expect(s.command).toMatch(/8443/);
  }
  const aws = steps[0]!.command!;
  expect(aws).toContain('resource "aws_vpc_security_group_ingress_rule" "cdn_ipv4"');
  expect(aws).toContain('cidr_ipv6         = each.value[0]');
  expect(steps[1]!.command).toContain('port_range        = "${each.value[1]}/${each.value[1]}"');
  expect(steps[1]!.command).toContain('ipv6_cidr_ip      = each.value[0]');
  expect(steps[2]!.command).toContain('ipv6_cidr_block = ingress.value[0]');
  expect(steps[3]!.command).toContain('ip_version: ipv6');
  expect(steps[4]!.command).toContain('insert: 1');
  expect(steps[5]!.command).toContain(
    `rich_rule: 'rule family="ipv4" source address="{{ item.0 }}" port port="{{ item.1 }}" protocol="tcp" accept'`,
  );
  // Braces are balanced in every HCL snippet.
  for (const s of steps.slice(0, 3))
    expect((s.command!.match(/\{/g) ?? []).length).toBe((s.command!.match(/\}/g) ?? []).length);
});

test('an IPv4-only fix writes no IPv6 resources; ufw appends unless a deny must be jumped', () => {
  const steps = policyAsCode(['173.245.48.0/20'], [443], false);
  expect(steps[0]!.command).not.toContain('cdn_ipv6"');
  expect(steps[4]!.command).not.toContain('insert: 1');
  expect(allowCommands(['173.245.48.0/20'], [443], true).find((s) => s.env === 'ufw')!.command).toBe(
    'ufw insert 1 allow proto tcp from 173.245.48.0/20 to any port 443',
  );
});

test('the report gathers the fixes as code in a section of their own, and keeps them out of the step lists', () => {
  const base = withPolicy(sampleReport());
  const facts = {
    input: base.session.input,
    probes: base.probes,
    providerRanges: ['173.245.48.0/20', '103.21.244.0/22'],
    providerName: 'Cloudflare',
  };
  const d = diagnose(facts, createTranslator('en'));
  expect(d.causes.map((c) => c.id)).toContain('cause.backorigin_not_allowed');
  const report = { ...base, findings: d.findings, causes: d.causes, verdict: d.verdict };
  const { html, markdown } = renderReport(report, {
    lang: 'en',
    redact: false,
    now: new Date(0),
    timeZone: 'UTC',
  });
  const section = html.slice(html.indexOf('<section id="as-code">'), html.indexOf('<section id="policy">'));
  expect(section).toContain('resource &#34;aws_vpc_security_group_ingress_rule&#34; &#34;cdn_ipv4&#34;');
  expect(section).toContain('ansible.builtin.iptables');
  const causes = html.slice(html.indexOf('<section id="causes">'), html.indexOf('<section id="input">'));
  expect(causes).not.toContain('aws_vpc_security_group_ingress_rule');
  expect(markdown).toContain('```hcl');
});
