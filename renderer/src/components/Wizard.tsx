import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  NativeSelect,
  Paper,
  SimpleGrid,
  Stepper,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from '@mantine/core';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { SYMPTOMS } from '../../../shared/model/report';
import { originBundleSchema } from '../../../shared/model/origin-bundle';
import { observeCommand } from '../../../shared/net/observe-command';
import {
  findingsOfStep,
  isLayerStep,
  nextStep,
  previousStep,
  probesOfStep,
  STEP_KINDS,
  STEPS,
  stepState,
  type Step,
} from '../../../shared/wizard/flow';
import type { WizardLayer } from '../../../shared/ipc/contract';
import { selectCustomRanges, selectEndpoints, selectLiveProbes, useAppStore } from '../state/store';
import { cancelRun, exportReport, rerunStep, runSession, saveNotes } from '../state/actions';
import { FileDrop, readFiles } from './FileDrop';
import { ReportView } from './ReportView';
import { ViewBoundary } from './ViewBoundary';
import { Charts } from './Charts';
import { FindingItem } from './FindingItem';

// Loaded when a session compared its rules with another version: its code stays out of the initial JavaScript.
const PolicyChangeTable = lazy(() =>
  import('./PolicyChangeTable').then((m) => ({ default: m.PolicyChangeTable })),
);

/** The guided wizard: Setup → Network → Protocol → Policy → Origin → Diagnosis → Report. */
export function Wizard() {
  const { t } = useTranslation();
  const step = useAppStore((s) => s.step);
  const report = useAppStore((s) => s.report);
  const run = useAppStore((s) => s.run);
  const stepChosen = useAppStore((s) => s.stepChosen);
  const notesSaved = useAppStore((s) => s.notesSaved);
  const notes = useAppStore((s) => s.notes);
  const session = useAppStore((s) => s.session);

  // Autosave: the notes go to the history a moment after typing stops.
  useEffect(() => {
    if (notesSaved || !session) return;
    const timer = setTimeout(() => void saveNotes(), 600);
    return () => clearTimeout(timer);
  }, [notes, notesSaved, session]);

  const STATE_COLOR = { pass: 'green', warn: 'yellow', fail: 'red', none: 'gray' } as const;
  const STATE_MARK = { pass: '✓', warn: '!', fail: '✗', none: null } as const;
  return (
    <div className="wizard">
      <Stepper
        className="stepper"
        active={STEPS.indexOf(step)}
        onStepClick={(i) => stepChosen(STEPS[i]!)}
        size="sm"
        aria-label={t('app.steps')}
      >
        {STEPS.map((s, i) => {
          const state = stepState(report, s);
          return (
            <Stepper.Step
              key={s}
              label={t(`step.${s}`)}
              color={STATE_COLOR[state]}
              icon={STATE_MARK[state] ?? i + 1}
              completedIcon={STATE_MARK[state] ?? i + 1}
              className={`step step-${state}${s === step ? ' current' : ''}`}
              aria-current={s === step ? 'step' : undefined}
              allowStepSelect
            />
          );
        })}
      </Stepper>
      {run && <RunProgress />}
      <Paper className="panel" withBorder p="md" aria-labelledby="step-title">
        <Title order={2} id="step-title" size="h3">
          {t(`step.${step}`)}
        </Title>
        <Text c="dimmed" size="sm">
          {t(`step.${step}_hint`)}
        </Text>
        {step !== 'setup' && report?.session.input.symptomDetail && (
          <Alert color="yellow" className="decoded">
            {t('cli.symptom_recognised', {
              provider: t(`provider.${report.session.input.symptomDetail.provider}`),
              code: report.session.input.symptomDetail.code,
              reference: report.session.input.symptomDetail.reference ?? '-',
              layer: t(`layer.${report.session.input.symptomDetail.layer}`),
            })}
          </Alert>
        )}
        <ViewBoundary view="step" resetKey={`${step}:${session?.id ?? ''}`}>
          {step === 'setup' && <SetupStep />}
          {isLayerStep(step) && <LayerStep layer={step} />}
          {step === 'diagnosis' && (report ? <ReportView report={report} /> : <Empty />)}
          {step === 'report' && (report ? <ReportStep /> : <Empty />)}
          {step !== 'setup' && report && <StepNotes step={step} />}
        </ViewBoundary>
        <Group justify="space-between" className="nav-actions">
          {step !== 'setup' ? (
            <Button variant="default" onClick={() => stepChosen(previousStep(step))}>
              {t('app.back')}
            </Button>
          ) : (
            <span />
          )}
          {step !== 'report' && step !== 'setup' && (
            <Button variant="default" onClick={() => stepChosen(nextStep(step))}>
              {t('app.next')}
            </Button>
          )}
        </Group>
      </Paper>
    </div>
  );
}

function Empty() {
  const { t } = useTranslation();
  const stepChosen = useAppStore((s) => s.stepChosen);
  return (
    <Alert className="empty" color="gray">
      {t('app.nothing_yet')}{' '}
      <Button size="xs" variant="default" onClick={() => stepChosen('setup')}>
        {t('app.go_setup')}
      </Button>
    </Alert>
  );
}

/** Every probe of the run as it starts and ends, with a cancel that stops them all. */
function RunProgress() {
  const { t } = useTranslation();
  const run = useAppStore((s) => s.run)!;
  const done = run.probes.filter((p) => p.status !== null).length;
  return (
    <Alert className="run-progress" color="blue" role="status" aria-live="polite">
      <Group gap="sm">
        <strong>{t('app.running')}</strong>
        <span className="progress">
          {done}/{run.probes.length}
        </span>
        <Button size="xs" variant="default" onClick={() => void cancelRun()}>
          {t('app.cancel')}
        </Button>
      </Group>
    </Alert>
  );
}

function SetupStep() {
  const { t } = useTranslation();
  const d = useAppStore((s) => s.draft);
  const edit = useAppStore((s) => s.draftEdited);
  const run = useAppStore((s) => s.run);
  return (
    <form
      className="setup"
      onSubmit={(e) => {
        e.preventDefault();
        void runSession();
      }}
    >
      <TextInput
        label={t('app.domain')}
        value={d.domain}
        onChange={(e) => edit({ domain: e.currentTarget.value })}
        placeholder="www.example.com"
        spellCheck={false}
      />
      <Textarea
        label={t('app.endpoints')}
        value={d.endpointsText}
        onChange={(e) => edit({ endpointsText: e.currentTarget.value })}
        autosize
        minRows={2}
        placeholder={'https://203.0.113.7:443\nhttps://origin.example.com'}
        spellCheck={false}
        classNames={{ input: 'mono' }}
      />
      <SimpleGrid cols={2}>
        <NativeSelect
          label={t('app.field.provider')}
          value={d.provider}
          onChange={(e) => edit({ provider: e.currentTarget.value })}
          data={[
            { value: '', label: t('app.provider_none') },
            ...PROVIDERS.map((p) => ({ value: p.id, label: t(`provider.${p.id}`) })),
          ]}
        />
        <NativeSelect
          label={t('app.field.symptom')}
          value={d.symptom}
          onChange={(e) => edit({ symptom: e.currentTarget.value })}
          data={[
            { value: '', label: t('app.symptom_none') },
            ...SYMPTOMS.map((s) => ({ value: s, label: t(`symptom.${s}`) })),
          ]}
        />
      </SimpleGrid>
      <Textarea
        label={t('app.error_page')}
        value={d.errorPage}
        onChange={(e) => edit({ errorPage: e.currentTarget.value })}
        autosize
        minRows={2}
        maxRows={8}
        placeholder={t('app.error_page_hint')}
        spellCheck={false}
        classNames={{ input: 'mono' }}
      />
      <Fieldset legend={t('app.options')} className="options">
        <Checkbox
          label={t('app.capture')}
          checked={d.capture}
          onChange={(e) => edit({ capture: e.currentTarget.checked })}
          mb="xs"
        />
        <Checkbox
          label={t('app.watch')}
          checked={d.watchOn}
          onChange={(e) => edit({ watchOn: e.currentTarget.checked })}
        />
        {d.watchOn && (
          <SimpleGrid cols={2} mt="xs">
            <TextInput
              label={t('app.watch_every')}
              inputMode="decimal"
              value={d.watchEvery}
              onChange={(e) => edit({ watchEvery: e.currentTarget.value })}
            />
            <TextInput
              label={t('app.watch_for')}
              inputMode="decimal"
              value={d.watchFor}
              onChange={(e) => edit({ watchFor: e.currentTarget.value })}
            />
          </SimpleGrid>
        )}
      </Fieldset>
      <Text c="dimmed" size="sm">
        {t('app.setup_more')}
      </Text>
      <Group>
        <Button type="submit" color="green" loading={run !== null} disabled={run !== null}>
          {t('app.run')}
        </Button>
      </Group>
    </form>
  );
}

const STATUS_MARK: Record<string, string> = { ok: '✓', warn: '!', fail: '✗', error: '✗', skipped: '–' };

function LayerStep({ layer }: { layer: WizardLayer }) {
  const { t } = useTranslation();
  const report = useAppStore((s) => s.report);
  const run = useAppStore((s) => s.run);
  const session = useAppStore((s) => s.session);
  // Derived outside the selector: a selector returning a new array each time would re-render forever.
  const live = selectLiveProbes({ run }, STEP_KINDS[layer]);
  const probes = report ? probesOfStep(report, layer) : [];
  const findings = report ? findingsOfStep(report, layer) : [];
  // Addresses found for an origin given by name carry that name: each is shown labelled with it.
  const originNameOf = new Map(
    (report?.session.input.endpoints ?? []).flatMap((e) => (e.name ? [[e.url, e.name] as const] : [])),
  );
  return (
    <>
      {layer === 'policy' && <PolicyInputs />}
      {layer === 'origin' && <OriginInputs />}
      {run && live.length > 0 && (
        <ul className="live" aria-label={t('app.live_probes')}>
          {live.map((p) => (
            <li key={p.id} className={`st-${p.status ?? 'running'}`}>
              <span className="mark">{p.status ? (STATUS_MARK[p.status] ?? '?') : '…'}</span>{' '}
              <code>{p.id}</code> {p.target}{' '}
              {p.status ? t(`probe_status.${p.status}`) : t('app.probe_running')}
            </li>
          ))}
        </ul>
      )}
      {report && !run && (
        <>
          {findings.length > 0 ? (
            <ul className="findings">
              {findings.map((f, i) => (
                <FindingItem key={`${f.id}-${f.target}-${i}`} finding={f} report={report} />
              ))}
            </ul>
          ) : (
            <Alert className="empty" color={probes.length ? 'green' : 'gray'}>
              {probes.length ? t('app.step_clean') : t(`app.step_not_run_${layer}`)}
            </Alert>
          )}
          {(layer === 'network' || layer === 'protocol') && <Charts report={report} show={layer} />}
          {layer === 'policy' && (
            <Suspense fallback={null}>
              <PolicyChangeTable report={report} />
            </Suspense>
          )}
          {probes.length > 0 && (
            <Table className="probes" striped highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>id</Table.Th>
                  <Table.Th>{t('report.col_target')}</Table.Th>
                  <Table.Th>{t('report.col_status')}</Table.Th>
                  <Table.Th>{t('report.col_duration')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {probes.map((p) => (
                  <Table.Tr key={p.id}>
                    <Table.Td>
                      <details>
                        <summary>
                          <code>{p.id}</code>
                        </summary>
                        <pre>{p.raw ?? ''}</pre>
                      </details>
                    </Table.Td>
                    <Table.Td>
                      {p.target}
                      {originNameOf.has(p.target) && (
                        <span className="origin-name">
                          {' '}
                          {t('app.origin_name_label', { name: originNameOf.get(p.target) })}
                        </span>
                      )}
                    </Table.Td>
                    <Table.Td className={`st-${p.status}`}>{t(`probe_status.${p.status}`)}</Table.Td>
                    <Table.Td>{p.durationMs.toFixed(0)} ms</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </>
      )}
      {session && (
        <Group>
          <Button variant="light" disabled={run !== null} onClick={() => void rerunStep(layer)}>
            {t('app.rerun_step')}
          </Button>
        </Group>
      )}
    </>
  );
}

function PolicyInputs() {
  const { t } = useTranslation();
  const rules = useAppStore((s) => s.rules);
  const paste = useAppStore((s) => s.draft.rulesPaste);
  const edit = useAppStore((s) => s.draftEdited);
  const add = useAppStore((s) => s.rulesAdded);
  const remove = useAppStore((s) => s.ruleRemoved);
  const refuse = useAppStore((s) => s.fileRefused);
  const addRules = async (list: FileList | null): Promise<void> => {
    const files = await readFiles(list, refuse);
    if (files) add(files);
  };
  return (
    <Fieldset legend={t('app.rules')} className="inputs">
      <Text c="dimmed" size="sm" mb="xs">
        {t('app.rules_hint')}
      </Text>
      <FileDrop label={t('app.rules_files')} multiple testId="rules-drop" onFiles={(l) => void addRules(l)}>
        {rules.length > 0 && (
          <ul className="files">
            {rules.map((r, i) => (
              <li key={`${r.name}-${i}`}>
                <code>{r.name}</code>{' '}
                <Button size="compact-xs" variant="default" onClick={() => remove(i)}>
                  {t('app.remove')}
                </Button>
              </li>
            ))}
          </ul>
        )}
      </FileDrop>
      <PasteArea label={t('app.rules_paste')} value={paste} onChange={(rulesPaste) => edit({ rulesPaste })} />
      <RulesAfterInputs />
      <FileError />
    </Fieldset>
  );
}

/** "Compare with another version": the other version's files (same drop and picker as the rules) or its paste. */
function RulesAfterInputs() {
  const { t } = useTranslation();
  const rules = useAppStore((s) => s.rulesAfter);
  const paste = useAppStore((s) => s.draft.rulesAfterPaste);
  const edit = useAppStore((s) => s.draftEdited);
  const add = useAppStore((s) => s.rulesAfterAdded);
  const remove = useAppStore((s) => s.ruleAfterRemoved);
  const refuse = useAppStore((s) => s.fileRefused);
  const addRules = async (list: FileList | null): Promise<void> => {
    const files = await readFiles(list, refuse);
    if (files) add(files);
  };
  return (
    <details className="rules-after" open={rules.length > 0 || paste.trim() !== ''}>
      <summary>{t('app.rules_compare')}</summary>
      <Text c="dimmed" size="sm" mb="xs">
        {t('app.rules_compare_hint')}
      </Text>
      <FileDrop
        label={t('app.rules_compare_files')}
        multiple
        testId="rules-after-drop"
        onFiles={(l) => void addRules(l)}
      >
        {rules.length > 0 && (
          <ul className="files">
            {rules.map((r, i) => (
              <li key={`${r.name}-${i}`}>
                <code>{r.name}</code>{' '}
                <Button size="compact-xs" variant="default" onClick={() => remove(i)}>
                  {t('app.remove')}
                </Button>
              </li>
            ))}
          </ul>
        )}
      </FileDrop>
      <PasteArea
        label={t('app.rules_compare_paste')}
        value={paste}
        onChange={(rulesAfterPaste) => edit({ rulesAfterPaste })}
      />
    </details>
  );
}

function OriginInputs() {
  const { t } = useTranslation();
  const origin = useAppStore((s) => s.origin);
  const paste = useAppStore((s) => s.draft.originPaste);
  const edit = useAppStore((s) => s.draftEdited);
  const loaded = useAppStore((s) => s.originLoaded);
  const refuse = useAppStore((s) => s.fileRefused);
  const load = async (list: FileList | null): Promise<void> => {
    const f = (await readFiles(list, refuse))?.[0];
    if (!f) return;
    try {
      loaded({ name: f.name, data: JSON.parse(f.text) as unknown });
    } catch {
      refuse({ key: 'origin.bundle_not_json', params: { file: f.name } });
    }
  };
  return (
    <Fieldset legend={t('app.origin_bundle')} className="inputs">
      <Text c="dimmed" size="sm" mb="xs">
        {t('app.origin_hint')}
      </Text>
      <FileDrop
        label={t('app.origin_file')}
        accept=".json,application/json"
        testId="origin-drop"
        onFiles={(l) => void load(l)}
      >
        {origin && (
          <p>
            <code>{origin.name}</code>{' '}
            <Button size="compact-xs" variant="default" onClick={() => loaded(null)}>
              {t('app.remove')}
            </Button>
          </p>
        )}
      </FileDrop>
      <PasteArea
        label={t('app.origin_paste')}
        value={paste}
        onChange={(originPaste) => edit({ originPaste })}
        disabled={origin !== null}
      />
      <FileError />
      <ObserveCommand />
      {origin && <ObservationTable data={origin.data} />}
    </Fieldset>
  );
}

/** The exact `origin-check --observe` command for this session's provider, ranges and ports, to copy. */
function ObserveCommand() {
  const { t } = useTranslation();
  const draft = useAppStore((s) => s.draft);
  const settings = useAppStore((s) => s.settings);
  const [copied, setCopied] = useState(false);
  const command = observeCommand({
    provider: draft.provider,
    ranges: selectCustomRanges({ settings }),
    endpoints: selectEndpoints({ draft }),
  });
  return (
    <div data-testid="observe-command">
      <Text size="sm" mt="sm">
        {t('app.origin_observe_hint')}
      </Text>
      {command ? (
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <pre className="observe-command">
            <code>{command}</code>
          </pre>
          <Button
            size="compact-xs"
            variant="default"
            onClick={() =>
              void navigator.clipboard?.writeText(command).then(
                () => setCopied(true),
                () => setCopied(false),
              )
            }
          >
            {t(copied ? 'app.origin_observe_copied' : 'app.origin_observe_copy')}
          </Button>
        </Group>
      ) : (
        <Text c="dimmed" size="sm">
          {t('app.origin_observe_needs_ranges')}
        </Text>
      )}
    </div>
  );
}

/** The imported bundle's observation: SYNs per port and provider range, by how the origin met them. */
function ObservationTable(props: { data: unknown }) {
  const { t } = useTranslation();
  const parsed = originBundleSchema.safeParse(props.data);
  const o = parsed.success ? parsed.data.observation : undefined;
  if (!o) return null;
  const rows = o.rows.filter((r) => r.range !== null || r.attempted > 0);
  return (
    <Table data-testid="observation-table" mt="sm">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('policy.col_port')}</Table.Th>
          <Table.Th>{t('policy.col_range')}</Table.Th>
          <Table.Th>{t('report.observe_col_attempted')}</Table.Th>
          <Table.Th>SYN-ACK</Table.Th>
          <Table.Th>RST</Table.Th>
          <Table.Th>ICMP</Table.Th>
          <Table.Th>{t('report.observe_col_unanswered')}</Table.Th>
          <Table.Th>{t('report.observe_col_pending')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={`${r.port}|${r.range ?? ''}`}>
            <Table.Td>{r.port}</Table.Td>
            <Table.Td>{r.range ?? t('origin.summary_observe_outside')}</Table.Td>
            <Table.Td>{r.attempted}</Table.Td>
            <Table.Td>{r.synAck}</Table.Td>
            <Table.Td>{r.rst}</Table.Td>
            <Table.Td>{r.icmp}</Table.Td>
            <Table.Td>{r.unanswered}</Table.Td>
            <Table.Td>{r.pending}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Command output pasted from the origin or the customer: monospaced, grows with its text. */
function PasteArea(props: {
  label: string;
  value: string;
  onChange: (text: string) => void;
  disabled?: boolean;
}) {
  return (
    <Textarea
      mt="sm"
      aria-label={props.label}
      placeholder={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value)}
      autosize
      minRows={3}
      maxRows={12}
      spellCheck={false}
      disabled={props.disabled ?? false}
      classNames={{ input: 'mono' }}
    />
  );
}

/** Why the last file given was refused (too big, not JSON), in words. */
function FileError() {
  const { t } = useTranslation();
  const fileError = useAppStore((s) => s.fileError);
  return fileError ? (
    <Alert color="red" role="alert" mt="sm" className="error">
      {t(fileError.key, fileError.params)}
    </Alert>
  ) : null;
}

function StepNotes({ step }: { step: Step }) {
  const { t } = useTranslation();
  const text = useAppStore((s) => s.notes[step] ?? '');
  const saved = useAppStore((s) => s.notesSaved);
  const edited = useAppStore((s) => s.noteEdited);
  return (
    <Textarea
      className="notes"
      label={t('app.notes')}
      description={saved ? t('app.notes_saved') : t('app.notes_saving')}
      value={text}
      onChange={(e) => edited(step, e.currentTarget.value)}
      autosize
      minRows={2}
    />
  );
}

function ReportStep() {
  const { t } = useTranslation();
  const report = useAppStore((s) => s.report)!;
  const exported = useAppStore((s) => s.exported);
  const [redact, setRedact] = useState(false);
  const hasCapture = report.probes.some((p) => p.kind === 'capture' && typeof p.data.pcap === 'string');
  const formats: ('html' | 'pdf' | 'md' | 'json' | 'pcap')[] = [
    'html',
    'pdf',
    'md',
    'json',
    ...(hasCapture ? (['pcap'] as const) : []),
  ];
  return (
    <div className="report-step">
      <Text>
        {t('app.verdict', { verdict: t(`verdict.${report.verdict}`) })} ·{' '}
        {t('app.report_counts', {
          findings: report.findings.length,
          causes: report.causes.length,
          probes: report.probes.length,
        })}
      </Text>
      <Checkbox
        my="sm"
        label={t('app.redact')}
        checked={redact}
        onChange={(e) => setRedact(e.currentTarget.checked)}
      />
      <Group>
        {formats.map((f) => (
          <Button key={f} variant="light" onClick={() => void exportReport(f, redact)}>
            {t(`app.export_${f}`)}
          </Button>
        ))}
      </Group>
      {exported && exported.format !== 'sessions' && exported.format !== 'import' && (
        <Alert mt="sm" color={exported.saved ? 'green' : 'gray'} className="saved" role="status">
          {exported.saved ? t('app.saved_to', { file: exported.saved }) : t('app.save_cancelled')}
        </Alert>
      )}
    </div>
  );
}
