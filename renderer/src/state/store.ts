import { create } from 'zustand';
import type { EventPayload, SessionSummaryDto } from '../../../shared/ipc/contract';
import type { Lang, Report } from '../../../shared/model/report';
import type { Comparison } from '../../../shared/model/comparison';
import { landingStep, parseNotes, type Step, type StepNotes } from '../../../shared/wizard/flow';

type UiError = { key: string; params: Record<string, string | number> };

/** One probe as the live progress list shows it while a run goes on. */
export interface LiveProbe {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly status: string | null;
}

/** The form being filled in: kept across restarts (autosave), so nothing typed is lost. */
export interface Draft {
  domain: string;
  endpointsText: string;
  provider: string;
  symptom: string;
  errorPage: string;
  capture: boolean;
  watchOn: boolean;
  watchEvery: string;
  watchFor: string;
  rulesPaste: string;
  /** Another version of the rules, pasted ("Compare with another version"). */
  rulesAfterPaste: string;
  originPaste: string;
}

export const EMPTY_DRAFT: Draft = {
  domain: '',
  endpointsText: '',
  provider: '',
  symptom: '',
  errorPage: '',
  capture: false,
  watchOn: false,
  watchEvery: '5',
  watchFor: '60',
  rulesPaste: '',
  rulesAfterPaste: '',
  originPaste: '',
};

export interface Settings {
  /** Per-probe timeout and TCP attempts, as typed (validated by main with the CLI's rules). */
  timeoutMs: string;
  attempts: string;
  theme: 'light' | 'dark';
  /** The customer's own back-to-origin ranges, one per line (added to the provider preset's). */
  customRanges: string;
}

export const DEFAULT_SETTINGS: Settings = {
  timeoutMs: '3000',
  attempts: '4',
  theme: 'light',
  customRanges: '',
};

export interface HistoryState {
  search: string;
  verdict: '' | 'healthy' | 'degraded' | 'broken';
  page: number;
  total: number;
  items: SessionSummaryDto[];
  selected: string[];
  loading: boolean;
}

export const HISTORY_PAGE_SIZE = 20;

/** The app's state. Actions are named as events (STYLE.md). */
export interface AppState {
  lang: Lang;
  view: 'wizard' | 'history' | 'compare' | 'settings';
  step: Step;
  draft: Draft;
  settings: Settings;
  /** Rule files for the policy step, in the order given (picked or dropped). */
  rules: { name: string; text: string }[];
  /** Another version of the rule files to compare with them, in the same order (picked or dropped). */
  rulesAfter: { name: string; text: string }[];
  /** The origin-check bundle, as read from its file. */
  origin: { name: string; data: unknown } | null;
  fileError: UiError | null;
  run: { id: string; kind: 'run' | 'step' | 'retest'; probes: LiveProbe[] } | null;
  /** The session on screen: its report exactly as stored, and what the history knows of it. */
  report: Report | null;
  session: { id: string; parentId: string | null; status: string } | null;
  notes: StepNotes;
  notesSaved: boolean;
  error: UiError | null;
  history: HistoryState;
  compare: { a: SessionSummaryDto; b: SessionSummaryDto; result: Comparison } | null;
  exported: { format: string; saved: string | null } | null;
  langChanged: (lang: Lang) => void;
  viewChosen: (view: AppState['view']) => void;
  stepChosen: (step: Step) => void;
  draftEdited: (patch: Partial<Draft>) => void;
  settingsChanged: (patch: Partial<Settings>) => void;
  rulesAdded: (files: { name: string; text: string }[]) => void;
  ruleRemoved: (index: number) => void;
  rulesAfterAdded: (files: { name: string; text: string }[]) => void;
  ruleAfterRemoved: (index: number) => void;
  originLoaded: (origin: { name: string; data: unknown } | null) => void;
  fileRefused: (error: UiError | null) => void;
  runStarted: (id: string, kind: 'run' | 'step' | 'retest') => void;
  probeProgressed: (e: EventPayload<'probe:progressed'>) => void;
  runFinished: (report: Report, parentId: string | null) => void;
  runFailed: (error: UiError) => void;
  sessionOpened: (o: { report: Report; status: string; parentId: string | null; notes: string }) => void;
  /** The session on screen is put away (its view failed to render): back to an empty wizard. */
  sessionClosed: () => void;
  noteEdited: (step: Step, text: string) => void;
  notesStored: () => void;
  historyChanged: (patch: Partial<HistoryState>) => void;
  historyToggled: (id: string) => void;
  compared: (c: AppState['compare']) => void;
  exportDone: (e: AppState['exported']) => void;
  errorShown: (error: UiError | null) => void;
}

const LANG_KEY = 'origin-doctor.lang';
const SETTINGS_KEY = 'origin-doctor.settings';
const DRAFT_KEY = 'origin-doctor.draft';

/** The page's localStorage, typed narrowly so the store also loads in plain Node (its unit tests). */
interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}
const storage = (): KeyValueStore | undefined =>
  (globalThis as { localStorage?: KeyValueStore }).localStorage;

function load<T>(key: string): Partial<T> | null {
  try {
    const saved = JSON.parse(storage()?.getItem(key) ?? 'null') as unknown;
    return saved && typeof saved === 'object' ? (saved as Partial<T>) : null;
  } catch {
    return null;
  }
}

function save(key: string, value: unknown): void {
  try {
    storage()?.setItem(key, typeof value === 'string' ? value : JSON.stringify(value));
  } catch {
    // storage unavailable or full: still applied, just not remembered
  }
}

/** A remembered object, field by field: anything of the wrong type falls back to its default. */
function restore<T extends object>(saved: Partial<T> | null, defaults: T): T {
  const out = { ...defaults };
  if (!saved) return out;
  for (const key of Object.keys(defaults) as (keyof T)[]) {
    if (typeof saved[key] === typeof defaults[key]) out[key] = saved[key] as T[keyof T];
  }
  return out;
}

function initialSettings(): Settings {
  const s = restore(load<Settings>(SETTINGS_KEY), DEFAULT_SETTINGS);
  return { ...s, theme: s.theme === 'dark' ? 'dark' : 'light' };
}

function initialLang(): Lang {
  try {
    const saved = storage()?.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // storage unavailable: fall through
  }
  const language = (globalThis as { navigator?: { language?: string } }).navigator?.language ?? '';
  return /^zh/i.test(language) ? 'zh-CN' : 'en';
}

export const useAppStore = create<AppState>()((set) => ({
  lang: initialLang(),
  view: 'wizard',
  step: 'setup',
  draft: restore(load<Draft>(DRAFT_KEY), EMPTY_DRAFT),
  settings: initialSettings(),
  rules: [],
  rulesAfter: [],
  origin: null,
  fileError: null,
  run: null,
  report: null,
  session: null,
  notes: {},
  notesSaved: true,
  error: null,
  history: { search: '', verdict: '', page: 0, total: 0, items: [], selected: [], loading: false },
  compare: null,
  exported: null,
  langChanged: (lang) => {
    save(LANG_KEY, lang);
    set({ lang });
  },
  viewChosen: (view) => set({ view, error: null }),
  stepChosen: (step) => set({ step, view: 'wizard', exported: null }),
  draftEdited: (patch) =>
    set((s) => {
      const draft = { ...s.draft, ...patch };
      save(DRAFT_KEY, draft);
      return { draft };
    }),
  settingsChanged: (patch) =>
    set((s) => {
      const settings = { ...s.settings, ...patch };
      save(SETTINGS_KEY, settings);
      return { settings };
    }),
  rulesAdded: (files) => set((s) => ({ rules: [...s.rules, ...files].slice(0, 8), fileError: null })),
  ruleRemoved: (index) => set((s) => ({ rules: s.rules.filter((_, i) => i !== index) })),
  rulesAfterAdded: (files) =>
    set((s) => ({ rulesAfter: [...s.rulesAfter, ...files].slice(0, 8), fileError: null })),
  ruleAfterRemoved: (index) => set((s) => ({ rulesAfter: s.rulesAfter.filter((_, i) => i !== index) })),
  originLoaded: (origin) => set({ origin, fileError: null }),
  fileRefused: (fileError) => set({ fileError }),
  runStarted: (id, kind) => set({ run: { id, kind, probes: [] }, error: null, exported: null }),
  probeProgressed: (e) =>
    set((s) => {
      if (!s.run || s.run.id !== e.runId || e.type === 'probe-progressed') return s;
      const probe: LiveProbe = { id: e.probeId, kind: e.kind, target: e.target, status: e.status };
      const probes = s.run.probes.some((p) => p.id === e.probeId)
        ? s.run.probes.map((p) => (p.id === e.probeId ? probe : p))
        : [...s.run.probes, probe];
      return { run: { ...s.run, probes } };
    }),
  runFinished: (report, parentId) =>
    set((s) => ({
      run: null,
      report,
      session: { id: report.session.id, parentId, status: 'finished' },
      // A step re-run or a re-test is a new session: the notes come along with it.
      notesSaved: Object.keys(s.notes).length === 0,
      step: s.run?.kind === 'step' ? s.step : landingStep(report),
      view: 'wizard',
    })),
  runFailed: (error) => set({ run: null, error }),
  sessionOpened: (o) =>
    set({
      report: o.report,
      session: { id: o.report.session.id, parentId: o.parentId, status: o.status },
      notes: parseNotes(o.notes),
      notesSaved: true,
      step: 'diagnosis',
      view: 'wizard',
      error: null,
      exported: null,
    }),
  sessionClosed: () =>
    set({ report: null, session: null, notes: {}, notesSaved: true, step: 'setup', exported: null }),
  noteEdited: (step, text) => set((s) => ({ notes: { ...s.notes, [step]: text }, notesSaved: false })),
  notesStored: () => set({ notesSaved: true }),
  historyChanged: (patch) => set((s) => ({ history: { ...s.history, ...patch } })),
  historyToggled: (id) =>
    set((s) => {
      const selected = s.history.selected.includes(id)
        ? s.history.selected.filter((x) => x !== id)
        : [...s.history.selected, id].slice(-2);
      return { history: { ...s.history, selected } };
    }),
  compared: (compare) => set({ compare, view: compare ? 'compare' : 'history' }),
  exportDone: (exported) => set({ exported }),
  errorShown: (error) => set({ error }),
}));

/** The endpoints typed one per line, blanks dropped. */
export const selectEndpoints = (s: Pick<AppState, 'draft'>): string[] =>
  s.draft.endpointsText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** Rule files as sent with a run: the files given, then the pasted text as one more file. */
export const selectPolicies = (s: Pick<AppState, 'rules' | 'draft'>): { name: string; text: string }[] => [
  ...s.rules,
  ...(s.draft.rulesPaste.trim() ? [{ name: 'pasted', text: s.draft.rulesPaste }] : []),
];

/** The other version of the rules as sent with a run: its files, then its pasted text as one more file. */
export const selectPoliciesAfter = (
  s: Pick<AppState, 'rulesAfter' | 'draft'>,
): { name: string; text: string }[] => [
  ...s.rulesAfter,
  ...(s.draft.rulesAfterPaste.trim() ? [{ name: 'pasted', text: s.draft.rulesAfterPaste }] : []),
];

/** The custom ranges typed one per line, blanks and # comments dropped. */
export const selectCustomRanges = (s: Pick<AppState, 'settings'>): string[] =>
  s.settings.customRanges
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');

/** The run form as the contract wants it, from the draft, the settings and the files given. */
export function selectForm(s: AppState) {
  const d = s.draft;
  const domain = d.domain.trim();
  const ranges = selectCustomRanges(s);
  const policies = selectPolicies(s);
  const policiesAfter = selectPoliciesAfter(s);
  return {
    ...(domain ? { domain } : {}),
    endpoints: selectEndpoints(s),
    lang: s.lang,
    ...(d.provider ? { provider: d.provider } : {}),
    ...(d.symptom ? { symptom: d.symptom } : {}),
    ...(d.errorPage.trim() ? { errorPage: d.errorPage } : {}),
    timeoutMs: s.settings.timeoutMs,
    attempts: s.settings.attempts,
    ...(ranges.length ? { sourceRanges: ranges } : {}),
    ...(policies.length ? { policies } : {}),
    ...(policiesAfter.length ? { policiesAfter } : {}),
    ...(s.origin ? { originBundle: s.origin.data } : {}),
    ...(!s.origin && d.originPaste.trim() ? { originPastes: [{ name: 'pasted', text: d.originPaste }] } : {}),
    ...(d.capture ? { capture: true } : {}),
    ...(d.watchOn ? { watch: { intervalS: d.watchEvery, durationS: d.watchFor } } : {}),
  };
}

/** Live probes of the current run that belong to the given kinds. */
export const selectLiveProbes = (s: Pick<AppState, 'run'>, kinds: readonly string[]): LiveProbe[] =>
  (s.run?.probes ?? []).filter((p) => kinds.includes(p.kind));
