import { probesOf } from './network';
import type { DiagnosisFacts, FindingDraft } from './types';

/**
 * The management paths (an optional step): what SSH and RDP say about themselves, versions worth updating, RDP
 * without Network Level Authentication, and a management port that answers while the policy opens it to the
 * whole Internet.
 */

/** OpenSSH releases and what is known about them, for the banner's version. */
export function opensshAdvice(software: string): 'unsupported' | 'regresshion' | null {
  const m = /^OpenSSH_(\d+)\.(\d+)(?:p(\d+))?/.exec(software);
  if (!m) return null;
  const v = Number(m[1]) * 100 + Number(m[2]);
  if (v < 704) return 'unsupported';
  // CVE-2024-6387 (regreSSHion): 8.5p1 up to, not including, 9.8p1 on glibc Linux, unless the distribution patched it.
  if (v >= 805 && v < 908) return 'regresshion';
  return null;
}

export function mgmtFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const policies = probesOf(facts.probes, 'policy').map((p) => p.data);
  for (const { probe, data: d } of probesOf(facts.probes, 'mgmt')) {
    if (d.outcome !== 'answered') continue;
    const host = d.address.includes(':') ? `[${d.address}]` : d.address;
    const target = `${d.service}://${host}:${d.port}`;
    const evidence = [probe.id];
    if (d.service === 'ssh' && d.sshSoftware) {
      out.push({
        id: 'mgmt.ssh_answered',
        target,
        evidence,
        params: { banner: d.banner ?? '', software: d.sshSoftware, protocol: d.sshProtocol ?? '' },
      });
      const advice = d.sshProtocol && d.sshProtocol.startsWith('1') ? 'ssh1' : opensshAdvice(d.sshSoftware);
      if (advice)
        out.push({
          id: 'mgmt.ssh_outdated',
          target,
          evidence,
          params: { software: d.sshSoftware, context: advice },
        });
    }
    if (d.service === 'rdp' && (d.rdpSelected || d.rdpFailure)) {
      out.push({
        id: 'mgmt.rdp_answered',
        target,
        evidence,
        params: { selected: d.rdpSelected ?? '-', failure: d.rdpFailure ?? '-' },
      });
      if (d.rdpSelected === 'rdp' || d.rdpSelected === 'tls')
        out.push({ id: 'mgmt.rdp_no_nla', target, evidence, params: { selected: d.rdpSelected } });
    }
    const open = policies.flatMap((p) =>
      p.anomalies.filter((a) => a.kind === 'overly_permissive' && (a.openPorts ?? []).includes(d.port)),
    );
    if (open.length)
      out.push({
        id: 'mgmt.open_to_world',
        target,
        evidence: [...evidence, ...probesOf(facts.probes, 'policy').map((p) => p.probe.id)],
        params: {
          service: d.service,
          port: d.port,
          file: open[0]!.rule.file,
          line: open[0]!.rule.line,
          rule: open[0]!.rule.text,
        },
      });
  }
  return out;
}
