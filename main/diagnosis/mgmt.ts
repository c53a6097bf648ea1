import sshVersions from '../../shared/catalog/ssh-versions.json';
import { probesOf } from './network';
import type { DiagnosisFacts, FindingDraft } from './types';

/**
 * The management paths (an optional step): what SSH and RDP say about themselves, versions worth updating, RDP
 * without Network Level Authentication, and a management port that answers while the policy opens it to the
 * whole Internet.
 */

/** OpenSSH releases in a known-vulnerable range that is still current enough not to be in the version table. */
export function opensshAdvice(software: string): 'regresshion' | null {
  const m = /^OpenSSH_(\d+)\.(\d+)(?:p(\d+))?/.exec(software);
  if (!m) return null;
  const v = Number(m[1]) * 100 + Number(m[2]);
  // CVE-2024-6387 (regreSSHion): 8.5p1 up to, not including, 9.8p1 on glibc Linux, unless the distribution patched it.
  if (v >= 805 && v < 908) return 'regresshion';
  return null;
}

/** Compares dotted versions numerically (`7.10` after `7.9`); missing parts count as 0. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface SshVersionAdvice {
  readonly product: string;
  readonly version: string;
  readonly before: string;
  /** `eol`: past the end of standard support everywhere; `vulnerable`: known server flaws fixed in later versions. */
  readonly reason: 'eol' | 'vulnerable';
  readonly cves: string[];
  readonly compiledOn: string;
}

/**
 * The banner's software held against the dated table in shared/catalog/ssh-versions.json. A software the table
 * does not know, or a version it cannot read, gets no advice: nothing is said about what was not compared.
 */
export function sshVersionAdvice(software: string): SshVersionAdvice | null {
  for (const e of sshVersions.entries) {
    const m = new RegExp(e.software).exec(software);
    if (!m) continue;
    const version = m[1]!;
    if (compareVersions(version, e.from) < 0 || compareVersions(version, e.before) >= 0) continue;
    return {
      product: e.product,
      version,
      before: e.before,
      reason: e.reason === 'eol' ? 'eol' : 'vulnerable',
      cves: [...e.detail.matchAll(/CVE-\d{4}-\d+/g)].map((c) => c[0]),
      compiledOn: sshVersions.compiledOn,
    };
  }
  return null;
}

/**
 * A management port that did not say what it is: refused, filtered, unreachable, or connected and then silent,
 * closed, reset or speaking something else. Said out loud, because "nothing reported" reads as "nothing wrong".
 */
function noAnswer(d: {
  service: string;
  port: number;
  outcome: string;
  code: string | null;
}): FindingDraft['params'] {
  return { service: d.service.toUpperCase(), port: d.port, code: d.code ?? '-', context: d.outcome };
}

export function mgmtFindings(facts: DiagnosisFacts): FindingDraft[] {
  const out: FindingDraft[] = [];
  const policies = probesOf(facts.probes, 'policy').map((p) => p.data);
  for (const { probe, data: d } of probesOf(facts.probes, 'mgmt')) {
    const host = d.address.includes(':') ? `[${d.address}]` : d.address;
    const target = `${d.service}://${host}:${d.port}`;
    const evidence = [probe.id];
    if (d.outcome !== 'answered') {
      out.push({ id: 'mgmt.no_answer', target, evidence, params: noAnswer(d) });
      continue;
    }
    if (d.service === 'ssh' && d.sshSoftware) {
      out.push({
        id: 'mgmt.ssh_answered',
        target,
        evidence,
        params: { banner: d.banner ?? '', software: d.sshSoftware, protocol: d.sshProtocol ?? '' },
      });
      const table = sshVersionAdvice(d.sshSoftware);
      if (d.sshProtocol?.startsWith('1'))
        out.push({
          id: 'mgmt.ssh_outdated',
          target,
          evidence,
          params: { software: d.sshSoftware, context: 'ssh1' },
        });
      else if (table)
        out.push({
          id: 'mgmt.ssh_outdated',
          target,
          evidence,
          params: {
            software: d.sshSoftware,
            context: table.reason,
            product: table.product,
            before: table.before,
            cves: table.cves.join(', '),
            compiledOn: table.compiledOn,
          },
        });
      else if (opensshAdvice(d.sshSoftware))
        out.push({
          id: 'mgmt.ssh_outdated',
          target,
          evidence,
          params: { software: d.sshSoftware, context: 'regresshion' },
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
