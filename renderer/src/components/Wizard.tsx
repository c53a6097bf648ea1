import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { PROVIDERS } from '../../../shared/catalog/providers';
import { SYMPTOMS } from '../../../shared/model/report';
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
import { selectLiveProbes, useAppStore } from '../state/store';
import { cancelRun, exportReport, rerunStep, runSession, saveNotes } from '../state/actions';
import { FileDrop, readFiles } from './FileDrop';
import { ReportView } from './ReportView';
import { Charts } from './Charts';
import { FindingItem } from './FindingItem';

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

  return (
    <div className="wizard">
      <ol className="stepper" aria-label={t('app.steps')}>
        {STEPS.map((s, i) => (
          <li key={s}>
            <button
              type="button"
              className={`step step-${stepState(report, s)}${s === step ? ' current' : ''}`}
              aria-current={s === step ? 'step' : undefined}
              onClick={() => stepChosen(s)}
            >
              <span className="step-n">{i + 1}</span> {t(`step.${s}`)}
            </button>
          </li>
        ))}
      </ol>
      {run && <RunProgress />}
      <section className="panel" aria-labelledby="step-title">
        <h2 id="step-title">{t(`step.${step}`)}</h2>
        <p className="muted">{t(`step.${step}_hint`)}</p>
        {step !== 'setup' && report?.session.input.symptomDetail && (
          <p className="decoded">
            {t('cli.symptom_recognised', {
              provider: t(`provider.${report.session.input.symptomDetail.provider}`),
              code: report.session.input.symptomDetail.code,
              reference: report.session.input.symptomDetail.reference ?? '-',
              layer: t(`layer.${report.session.input.symptomDetail.layer}`),
            })}
          </p>
        )}
        {step === 'setup' && <SetupStep />}
        {isLayerStep(step) && <LayerStep layer={step} />}
        {step === 'diagnosis' && (report ? <ReportView report={report} /> : <Empty />)}
        {step === 'report' && (report ? <ReportStep /> : <Empty />)}
        {step !== 'setup' && report && <StepNotes step={step} />}
        <div className="actions nav-actions">
          {step !== 'setup' && (
            <button type="button" onClick={() => stepChosen(previousStep(step))}>
              {t('app.back')}
            </button>
          )}
          {step !== 'report' && step !== 'setup' && (
            <button type="button" onClick={() => stepChosen(nextStep(step))}>
              {t('app.next')}
            </button>
          )}
        </div>
      </section>
    </div>
  );
}

function Empty() {
  const { t } = useTranslation();
  const stepChosen = useAppStore((s) => s.stepChosen);
  return (
    <p className="empty">
      {t('app.nothing_yet')}{' '}
      <button type="button" onClick={() => stepChosen('setup')}>
        {t('app.go_setup')}
      </button>
    </p>
  );
}

/** Every probe of the run as it starts and ends, with a cancel that stops them all. */
function RunProgress() {
  const { t } = useTranslation();
  const run = useAppStore((s) => s.run)!;
  const done = run.probes.filter((p) => p.status !== null).length;
  return (
    <div className="run-progress" role="status" aria-live="polite">
      <strong>{t('app.running')}</strong>{' '}
      <span className="progress">
        {done}/{run.probes.length}
      </span>{' '}
      <button type="button" onClick={() => void cancelRun()}>
        {t('app.cancel')}
      </button>
    </div>
  );
}

function SetupStep() {
  const { t } = useTranslation();
  const d = useAppStore((s) => s.draft);
  const edit = useAppStore((s) => s.draftEdited);
  const run = useAppStore((s) => s.run);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void runSession();
      }}
    >
      <label>
        {t('app.domain')}
        <input
          value={d.domain}
          onChange={(e) => edit({ domain: e.target.value })}
          placeholder="www.example.com"
          spellCheck={false}
        />
      </label>
      <label>
        {t('app.endpoints')}
        <textarea
          value={d.endpointsText}
          onChange={(e) => edit({ endpointsText: e.target.value })}
          rows={3}
          placeholder="https://203.0.113.7:443"
          spellCheck={false}
        />
      </label>
      <div className="settings-grid">
        <label>
          {t('app.field.provider')}
          <select value={d.provider} onChange={(e) => edit({ provider: e.target.value })}>
            <option value="">{t('app.provider_none')}</option>
            {PROVIDERS.map((p) => (
              <option key={p.id} value={p.id}>
                {t(`provider.${p.id}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('app.field.symptom')}
          <select value={d.symptom} onChange={(e) => edit({ symptom: e.target.value })}>
            <option value="">{t('app.symptom_none')}</option>
            {SYMPTOMS.map((s) => (
              <option key={s} value={s}>
                {t(`symptom.${s}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        {t('app.error_page')}
        <textarea
          value={d.errorPage}
          onChange={(e) => edit({ errorPage: e.target.value })}
          rows={3}
          placeholder={t('app.error_page_hint')}
          spellCheck={false}
        />
      </label>
      <fieldset className="options">
        <legend>{t('app.options')}</legend>
        <label className="check">
          <input type="checkbox" checked={d.capture} onChange={(e) => edit({ capture: e.target.checked })} />
          {t('app.capture')}
        </label>
        <label className="check">
          <input type="checkbox" checked={d.watchOn} onChange={(e) => edit({ watchOn: e.target.checked })} />
          {t('app.watch')}
        </label>
        {d.watchOn && (
          <div className="settings-grid">
            <label>
              {t('app.watch_every')}
              <input
                inputMode="decimal"
                value={d.watchEvery}
                onChange={(e) => edit({ watchEvery: e.target.value })}
              />
            </label>
            <label>
              {t('app.watch_for')}
              <input
                inputMode="decimal"
                value={d.watchFor}
                onChange={(e) => edit({ watchFor: e.target.value })}
              />
            </label>
          </div>
        )}
      </fieldset>
      <p className="muted">{t('app.setup_more')}</p>
      <div className="actions">
        <button type="submit" className="primary" disabled={run !== null}>
          {run ? t('app.running') : t('app.run')}
        </button>
      </div>
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
            <p className="empty">{probes.length ? t('app.step_clean') : t(`app.step_not_run_${layer}`)}</p>
          )}
          {(layer === 'network' || layer === 'protocol') && <Charts report={report} show={layer} />}
          {probes.length > 0 && (
            <table className="probes">
              <thead>
                <tr>
                  <th>id</th>
                  <th>{t('report.col_target')}</th>
                  <th>{t('report.col_status')}</th>
                  <th>{t('report.col_duration')}</th>
                </tr>
              </thead>
              <tbody>
                {probes.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <details>
                        <summary>
                          <code>{p.id}</code>
                        </summary>
                        <pre>{p.raw ?? ''}</pre>
                      </details>
                    </td>
                    <td>{p.target}</td>
                    <td className={`st-${p.status}`}>{t(`probe_status.${p.status}`)}</td>
                    <td>{p.durationMs.toFixed(0)} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {session && (
        <div className="actions">
          <button type="button" disabled={run !== null} onClick={() => void rerunStep(layer)}>
            {t('app.rerun_step')}
          </button>
        </div>
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
  const fileError = useAppStore((s) => s.fileError);
  const addRules = async (list: FileList | null): Promise<void> => {
    const { files, tooBig } = await readFiles(list);
    if (tooBig) return refuse({ key: 'app.file_too_big', params: { name: tooBig, max: 8 } });
    add(files);
  };
  return (
    <fieldset>
      <legend>{t('app.rules')}</legend>
      <p className="muted">{t('app.rules_hint')}</p>
      <FileDrop label={t('app.rules_files')} multiple testId="rules-drop" onFiles={(l) => void addRules(l)}>
        {rules.length > 0 && (
          <ul className="files">
            {rules.map((r, i) => (
              <li key={`${r.name}-${i}`}>
                <code>{r.name}</code>{' '}
                <button type="button" onClick={() => remove(i)}>
                  {t('app.remove')}
                </button>
              </li>
            ))}
          </ul>
        )}
      </FileDrop>
      <textarea
        aria-label={t('app.rules_paste')}
        placeholder={t('app.rules_paste')}
        value={paste}
        onChange={(e) => edit({ rulesPaste: e.target.value })}
        rows={4}
        spellCheck={false}
      />
      {fileError && (
        <p className="error" role="alert">
          {t(fileError.key, fileError.params)}
        </p>
      )}
    </fieldset>
  );
}

function OriginInputs() {
  const { t } = useTranslation();
  const origin = useAppStore((s) => s.origin);
  const paste = useAppStore((s) => s.draft.originPaste);
  const edit = useAppStore((s) => s.draftEdited);
  const loaded = useAppStore((s) => s.originLoaded);
  const refuse = useAppStore((s) => s.fileRefused);
  const fileError = useAppStore((s) => s.fileError);
  const load = async (list: FileList | null): Promise<void> => {
    const { files, tooBig } = await readFiles(list);
    if (tooBig) return refuse({ key: 'app.file_too_big', params: { name: tooBig, max: 8 } });
    const f = files[0];
    if (!f) return;
    try {
      loaded({ name: f.name, data: JSON.parse(f.text) as unknown });
    } catch {
      refuse({ key: 'origin.bundle_not_json', params: { file: f.name } });
    }
  };
  return (
    <fieldset>
      <legend>{t('app.origin_bundle')}</legend>
      <p className="muted">{t('app.origin_hint')}</p>
      <FileDrop
        label={t('app.origin_file')}
        accept=".json,application/json"
        testId="origin-drop"
        onFiles={(l) => void load(l)}
      >
        {origin && (
          <p>
            <code>{origin.name}</code>{' '}
            <button type="button" onClick={() => loaded(null)}>
              {t('app.remove')}
            </button>
          </p>
        )}
      </FileDrop>
      <textarea
        aria-label={t('app.origin_paste')}
        placeholder={t('app.origin_paste')}
        value={paste}
        onChange={(e) => edit({ originPaste: e.target.value })}
        rows={4}
        spellCheck={false}
        disabled={origin !== null}
      />
      {fileError && (
        <p className="error" role="alert">
          {t(fileError.key, fileError.params)}
        </p>
      )}
    </fieldset>
  );
}

function StepNotes({ step }: { step: Step }) {
  const { t } = useTranslation();
  const text = useAppStore((s) => s.notes[step] ?? '');
  const saved = useAppStore((s) => s.notesSaved);
  const edited = useAppStore((s) => s.noteEdited);
  return (
    <label className="notes">
      {t('app.notes')} <span className="muted">{saved ? t('app.notes_saved') : t('app.notes_saving')}</span>
      <textarea value={text} onChange={(e) => edited(step, e.target.value)} rows={3} />
    </label>
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
      <p>
        {t('app.verdict', { verdict: t(`verdict.${report.verdict}`) })} ·{' '}
        {t('app.report_counts', {
          findings: report.findings.length,
          causes: report.causes.length,
          probes: report.probes.length,
        })}
      </p>
      <label className="check">
        <input type="checkbox" checked={redact} onChange={(e) => setRedact(e.target.checked)} />
        {t('app.redact')}
      </label>
      <div className="actions">
        {formats.map((f) => (
          <button key={f} type="button" onClick={() => void exportReport(f, redact)}>
            {t(`app.export_${f}`)}
          </button>
        ))}
      </div>
      {exported && exported.format !== 'sessions' && exported.format !== 'import' && (
        <p className="saved" role="status">
          {exported.saved ? t('app.saved_to', { file: exported.saved }) : t('app.save_cancelled')}
        </p>
      )}
    </div>
  );
}
