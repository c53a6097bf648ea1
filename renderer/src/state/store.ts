import { create } from 'zustand';
import type { EventPayload } from '../../../shared/ipc/contract';
import type { Lang, Report } from '../../../shared/model/report';

/** The app's state: the form being filled in, the run in progress, and its report. Actions are named as events. */
export interface AppState {
  lang: Lang;
  domain: string;
  endpointsText: string;
  /** Remembered settings: defaults for every run, and the look. */
  settings: Settings;
  provider: string;
  /** Rule files for the policy layer, in the order given (pasted, picked or dropped). */
  rules: { name: string; text: string }[];
  rulesPaste: string;
  /** The origin-check bundle, as read from its file. */
  origin: { name: string; data: unknown } | null;
  fileError: { key: string; params: Record<string, string | number> } | null;
  run: { id: string; started: number; finished: number } | null;
  report: Report | null;
  error: { key: string; params: Record<string, string | number> } | null;
  langChanged: (lang: Lang) => void;
  domainEdited: (domain: string) => void;
  endpointsEdited: (text: string) => void;
  providerChosen: (provider: string) => void;
  settingsChanged: (patch: Partial<Settings>) => void;
  rulesPasteEdited: (text: string) => void;
  rulesAdded: (files: { name: string; text: string }[]) => void;
  ruleRemoved: (index: number) => void;
  originLoaded: (origin: { name: string; data: unknown } | null) => void;
  fileRefused: (error: { key: string; params: Record<string, string | number> } | null) => void;
  runStarted: (id: string) => void;
  probeProgressed: (e: EventPayload<'probe:progressed'>) => void;
  runFinished: (report: Report) => void;
  runFailed: (error: { key: string; params: Record<string, string | number> }) => void;
}

const LANG_KEY = 'origin-doctor.lang';
const SETTINGS_KEY = 'origin-doctor.settings';

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

function initialSettings(): Settings {
  try {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? 'null') as Partial<Settings> | null;
    if (saved && typeof saved === 'object')
      return {
        timeoutMs: typeof saved.timeoutMs === 'string' ? saved.timeoutMs : DEFAULT_SETTINGS.timeoutMs,
        attempts: typeof saved.attempts === 'string' ? saved.attempts : DEFAULT_SETTINGS.attempts,
        theme: saved.theme === 'dark' ? 'dark' : 'light',
        customRanges: typeof saved.customRanges === 'string' ? saved.customRanges : '',
      };
  } catch {
    // unreadable: the defaults
  }
  return DEFAULT_SETTINGS;
}

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch {
    // storage unavailable: fall through
  }
  return typeof navigator !== 'undefined' && /^zh/i.test(navigator.language) ? 'zh-CN' : 'en';
}

export const useAppStore = create<AppState>()((set) => ({
  lang: initialLang(),
  domain: '',
  endpointsText: '',
  settings: initialSettings(),
  provider: '',
  rules: [],
  rulesPaste: '',
  origin: null,
  fileError: null,
  run: null,
  report: null,
  error: null,
  langChanged: (lang) => {
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch {
      // not remembered, still switched
    }
    set({ lang });
  },
  domainEdited: (domain) => set({ domain }),
  endpointsEdited: (endpointsText) => set({ endpointsText }),
  providerChosen: (provider) => set({ provider }),
  settingsChanged: (patch) =>
    set((s) => {
      const settings = { ...s.settings, ...patch };
      try {
        localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings));
      } catch {
        // not remembered, still applied
      }
      return { settings };
    }),
  rulesPasteEdited: (rulesPaste) => set({ rulesPaste }),
  rulesAdded: (files) => set((s) => ({ rules: [...s.rules, ...files].slice(0, 8), fileError: null })),
  ruleRemoved: (index) => set((s) => ({ rules: s.rules.filter((_, i) => i !== index) })),
  originLoaded: (origin) => set({ origin, fileError: null }),
  fileRefused: (fileError) => set({ fileError }),
  runStarted: (id) => set({ run: { id, started: 0, finished: 0 }, report: null, error: null }),
  probeProgressed: (e) =>
    set((s) => {
      if (!s.run || s.run.id !== e.runId) return s;
      if (e.type === 'probe-started') return { run: { ...s.run, started: s.run.started + 1 } };
      if (e.type === 'probe-finished') return { run: { ...s.run, finished: s.run.finished + 1 } };
      return s;
    }),
  runFinished: (report) => set({ run: null, report }),
  runFailed: (error) => set({ run: null, error }),
}));

/** The endpoints typed one per line, blanks dropped. */
export const selectEndpoints = (s: AppState): string[] =>
  s.endpointsText
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** Rule files as sent with a run: the files given, then the pasted text as one more file. */
export const selectPolicies = (s: AppState): { name: string; text: string }[] => [
  ...s.rules,
  ...(s.rulesPaste.trim() ? [{ name: 'pasted', text: s.rulesPaste }] : []),
];

/** The custom ranges typed one per line, blanks and # comments dropped. */
export const selectCustomRanges = (s: AppState): string[] =>
  s.settings.customRanges
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
