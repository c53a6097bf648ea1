import { FINDINGS, isFindingId, type Layer } from '../catalog/ids';
import type { WizardLayer } from '../ipc/contract';
import type { ProbeKind, Report } from '../model/report';

/**
 * The wizard's step flow, pure so it is tested in plain Node: the steps in order, which probes and findings each
 * step shows, where a session starts (the layer a decoded error page points at), each step's state, and the notes
 * kept per step (stored as one text with a heading per step, so the CLI's `show` reads them too).
 */

export const STEPS = ['setup', 'network', 'protocol', 'policy', 'origin', 'diagnosis', 'report'] as const;
export type Step = (typeof STEPS)[number];

export const LAYER_STEPS: readonly WizardLayer[] = ['network', 'protocol', 'policy', 'origin'];

export function isLayerStep(step: Step): step is WizardLayer {
  return (LAYER_STEPS as readonly string[]).includes(step);
}

/** The probe kinds each layer step shows (the same split the step re-run uses in main). */
export const STEP_KINDS: Record<WizardLayer, readonly ProbeKind[]> = {
  network: ['dns', 'tcp', 'trace', 'local', 'capture', 'watch'],
  protocol: ['tls', 'http', 'mgmt'],
  policy: ['policy'],
  origin: ['origin'],
};

/** The finding layers each step shows: the machine's own (`local`) findings belong with the network. */
const STEP_LAYERS: Record<WizardLayer, readonly Layer[]> = {
  network: ['network', 'local'],
  protocol: ['protocol'],
  policy: ['policy'],
  origin: ['origin'],
};

export function stepOfKind(kind: ProbeKind): WizardLayer {
  for (const step of LAYER_STEPS) if (STEP_KINDS[step].includes(kind)) return step;
  return 'network';
}

export function findingsOfStep(report: Report, step: WizardLayer): Report['findings'] {
  return report.findings.filter((f) =>
    STEP_LAYERS[step].includes(isFindingId(f.id) ? FINDINGS[f.id].layer : f.layer),
  );
}

export function probesOfStep(report: Report, step: WizardLayer): Report['probes'] {
  return report.probes.filter((p) => STEP_KINDS[step].includes(p.kind));
}

export type StepState = 'pass' | 'warn' | 'fail' | 'none';

/** A layer step's state from its findings (none: nothing ran there). */
export function stepState(report: Report | null, step: Step): StepState {
  if (!report || !isLayerStep(step)) return 'none';
  const findings = findingsOfStep(report, step);
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warn')) return 'warn';
  // Probes that could not get through (the port refused before TLS or HTTP could speak) passed nothing.
  const probes = probesOfStep(report, step);
  return probes.length > 0 && probes.some((p) => p.status === 'ok' || p.status === 'warn') ? 'pass' : 'none';
}

/**
 * Where the wizard goes once a run ends: the layer the customer's error page pointed at when one was decoded,
 * else the first layer step that failed, else the diagnosis.
 */
export function landingStep(report: Report): Step {
  const decoded = report.session.input.symptomDetail?.layer;
  if (decoded) {
    const step = decoded === 'local' ? 'network' : decoded;
    if (isLayerStep(step)) return step;
  }
  return LAYER_STEPS.find((s) => stepState(report, s) === 'fail') ?? 'diagnosis';
}

export function nextStep(step: Step): Step {
  return STEPS[Math.min(STEPS.length - 1, STEPS.indexOf(step) + 1)]!;
}

export function previousStep(step: Step): Step {
  return STEPS[Math.max(0, STEPS.indexOf(step) - 1)]!;
}

export type StepNotes = Partial<Record<Step, string>>;

/** Notes per step as one text: `## step` headings, steps in wizard order, empty ones left out. */
export function serializeNotes(notes: StepNotes): string {
  return STEPS.filter((s) => (notes[s] ?? '').trim() !== '')
    .map((s) => `## ${s}\n${notes[s]!.trim()}`)
    .join('\n\n');
}

/** The inverse; text written elsewhere (the CLI's `update --notes`) without headings is the setup step's. */
export function parseNotes(text: string): StepNotes {
  const out: StepNotes = {};
  let current: Step = 'setup';
  const lines: Record<string, string[]> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^## ([a-z]+)\s*$/.exec(line);
    if (m && (STEPS as readonly string[]).includes(m[1]!)) {
      current = m[1] as Step;
      continue;
    }
    (lines[current] ??= []).push(line);
  }
  for (const [step, ls] of Object.entries(lines)) {
    const body = ls.join('\n').trim();
    if (body) out[step as Step] = body;
  }
  return out;
}
