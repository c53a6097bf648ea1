import { describe, expect, test } from 'vitest';
import {
  landingStep,
  nextStep,
  parseNotes,
  previousStep,
  serializeNotes,
  stepOfKind,
  stepState,
  STEPS,
} from '../../shared/wizard/flow';
import {
  selectCustomRanges,
  selectEndpoints,
  selectForm,
  selectPolicies,
  useAppStore,
} from '../../renderer/src/state/store';
import type { Report } from '../../shared/model/report';
import { sessionInput } from '../lab/session-input';

function report(
  findings: Report['findings'],
  probes: Report['probes'] = [],
  extra: Partial<Report['session']['input']> = {},
): Report {
  return {
    schemaVersion: 1,
    tool: { name: 'origin-doctor', version: 'test' },
    session: {
      id: 's1',
      createdAt: '2026-11-28T00:00:00.000Z',
      finishedAt: '2026-11-28T00:00:01.000Z',
      input: sessionInput(extra),
      environment: { os: 'linux', release: '', arch: 'x64', node: '20', root: false },
    },
    probes,
    findings,
    causes: [],
    verdict: 'broken',
  };
}
const finding = (
  id: string,
  severity: 'info' | 'warn' | 'error',
  layer: Report['findings'][number]['layer'],
) => ({
  id,
  severity,
  layer,
  target: 't',
  message: '',
  evidence: [],
  params: {},
});
const probe = (
  id: string,
  kind: Report['probes'][number]['kind'],
  status: Report['probes'][number]['status'],
) => ({
  id,
  kind,
  target: 't',
  startedAt: '2026-11-28T00:00:00.000Z',
  durationMs: 1,
  status,
  data: {},
});

describe('step flow', () => {
  test('steps in order, next and back stop at the ends', () => {
    expect(STEPS).toEqual(['setup', 'network', 'protocol', 'policy', 'origin', 'diagnosis', 'report']);
    expect(nextStep('origin')).toBe('diagnosis');
    expect(nextStep('report')).toBe('report');
    expect(previousStep('setup')).toBe('setup');
    expect(stepOfKind('tls')).toBe('protocol');
    expect(stepOfKind('watch')).toBe('network');
  });

  test('a step is failed, warned, passed, or did not run; the machine’s own findings count as network', () => {
    const r = report(
      [
        finding('tcp.refused', 'error', 'network'),
        finding('local.proxy_set', 'info', 'local'),
        finding('http.slow_ttfb', 'warn', 'protocol'),
      ],
      [probe('tcp-1', 'tcp', 'fail'), probe('http-1', 'http', 'warn')],
    );
    expect(stepState(r, 'network')).toBe('fail');
    expect(stepState(r, 'protocol')).toBe('warn');
    expect(stepState(r, 'policy')).toBe('none');
    expect(stepState(r, 'setup')).toBe('none');
    expect(stepState(null, 'network')).toBe('none');
    // Probes that all failed before speaking pass nothing.
    expect(stepState(report([], [probe('tls-1', 'tls', 'fail')]), 'protocol')).toBe('none');
    expect(stepState(report([], [probe('tls-1', 'tls', 'ok')]), 'protocol')).toBe('pass');
  });

  test('the wizard lands on the decoded layer, else the first failing step, else the diagnosis', () => {
    const decoded = report([finding('tcp.refused', 'error', 'network')], [], {
      symptomDetail: { provider: 'cloudflare', code: 526, reference: null, layer: 'protocol' },
    });
    expect(landingStep(decoded)).toBe('protocol');
    expect(
      landingStep(
        report([
          finding('policy.conflict', 'warn', 'policy'),
          finding('origin.disk_full', 'error', 'origin'),
        ]),
      ),
    ).toBe('origin');
    expect(landingStep(report([]))).toBe('diagnosis');
  });

  test('notes per step round-trip through one text; text without headings is the setup step’s', () => {
    const notes = { network: 'ping ok from office', origin: 'nginx moved\nto 127.0.0.1', protocol: '  ' };
    const text = serializeNotes(notes);
    expect(text).toBe('## network\nping ok from office\n\n## origin\nnginx moved\nto 127.0.0.1');
    expect(parseNotes(text)).toEqual({ network: 'ping ok from office', origin: 'nginx moved\nto 127.0.0.1' });
    expect(parseNotes('written by the CLI')).toEqual({ setup: 'written by the CLI' });
    expect(parseNotes('## nonsense\nstays text')).toEqual({ setup: '## nonsense\nstays text' });
  });
});

describe('store and selectors', () => {
  test('the form sent to main comes from the draft, the settings and the files given', () => {
    const s = useAppStore.getState();
    s.draftEdited({
      domain: ' www.example.com ',
      endpointsText: 'https://203.0.113.7:443\n\n http://203.0.113.7:80 ',
      capture: true,
    });
    s.settingsChanged({ customRanges: '203.0.113.0/24 # office\n\n# nothing\n' });
    s.rulesAdded([{ name: 'sg.json', text: '{}' }]);
    s.draftEdited({ rulesPaste: '-A INPUT -j DROP', watchOn: true, watchEvery: '2', watchFor: '30' });
    const st = useAppStore.getState();
    expect(selectEndpoints(st)).toEqual(['https://203.0.113.7:443', 'http://203.0.113.7:80']);
    expect(selectCustomRanges(st)).toEqual(['203.0.113.0/24']);
    expect(selectPolicies(st).map((p) => p.name)).toEqual(['sg.json', 'pasted']);
    const form = selectForm(st);
    expect(form).toMatchObject({
      domain: 'www.example.com',
      capture: true,
      watch: { intervalS: '2', durationS: '30' },
      sourceRanges: ['203.0.113.0/24'],
    });
    expect('originPastes' in form).toBe(false);
  });

  test('live progress: a probe appears when it starts and takes its status when it ends; other runs are ignored', () => {
    const s = useAppStore.getState();
    s.runStarted('run-1', 'run');
    const base = { runId: 'run-1', kind: 'tcp', target: 'x', status: null };
    s.probeProgressed({ ...base, type: 'probe-started', probeId: 'tcp-1' });
    s.probeProgressed({ ...base, type: 'probe-started', probeId: 'tcp-2' });
    s.probeProgressed({ ...base, type: 'probe-finished', probeId: 'tcp-1', status: 'ok' });
    s.probeProgressed({ ...base, runId: 'other', type: 'probe-started', probeId: 'dns-1' });
    expect(useAppStore.getState().run!.probes.map((p) => [p.id, p.status])).toEqual([
      ['tcp-1', 'ok'],
      ['tcp-2', null],
    ]);
    const r = report([finding('tcp.refused', 'error', 'network')]);
    s.runFinished(r, null);
    const after = useAppStore.getState();
    expect(after.run).toBeNull();
    expect(after.step).toBe('network');
    expect(after.session).toEqual({ id: 's1', parentId: null, status: 'finished' });
  });

  test('a reopened session brings its notes per step; editing marks them unsaved until stored', () => {
    const s = useAppStore.getState();
    s.sessionOpened({
      report: report([]),
      status: 'interrupted',
      parentId: 'p0',
      notes: '## policy\nrules from Bob',
    });
    expect(useAppStore.getState()).toMatchObject({
      step: 'diagnosis',
      notes: { policy: 'rules from Bob' },
      notesSaved: true,
    });
    s.noteEdited('policy', 'rules from Bob, v2');
    expect(useAppStore.getState().notesSaved).toBe(false);
    s.notesStored();
    expect(useAppStore.getState().notesSaved).toBe(true);
  });

  test('compare takes at most two sessions: a third selection replaces the oldest', () => {
    const s = useAppStore.getState();
    s.historyToggled('a');
    s.historyToggled('b');
    s.historyToggled('c');
    expect(useAppStore.getState().history.selected).toEqual(['b', 'c']);
    s.historyToggled('b');
    expect(useAppStore.getState().history.selected).toEqual(['c']);
  });
});
