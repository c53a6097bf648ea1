import { invoke } from '../ipc/client';
import { HISTORY_PAGE_SIZE, selectForm, useAppStore } from './store';
import type { WizardLayer } from '../../../shared/ipc/contract';
import { serializeNotes } from '../../../shared/wizard/flow';

/** Use-cases as the page calls them: each asks main over the contract and records the answer in the store. */

const store = () => useAppStore.getState();

export async function runSession(): Promise<void> {
  const runId = crypto.randomUUID();
  store().runStarted(runId, 'run');
  const r = await invoke('diagnosis:run', { runId, form: selectForm(store()) });
  if (r.ok) store().runFinished(r.value, null);
  else store().runFailed(r.error);
}

export async function rerunStep(layer: WizardLayer): Promise<void> {
  const session = store().session;
  if (!session) return;
  const runId = crypto.randomUUID();
  store().runStarted(runId, 'step');
  const r = await invoke('diagnosis:rerun-step', {
    runId,
    sessionId: session.id,
    layer,
    form: selectForm(store()),
  });
  if (r.ok) {
    store().runFinished(r.value, session.id);
    await saveNotes();
  } else store().runFailed(r.error);
}

export async function retestSession(id: string): Promise<void> {
  const runId = crypto.randomUUID();
  store().runStarted(runId, 'retest');
  store().viewChosen('wizard');
  const r = await invoke('sessions:retest', { runId, id });
  if (r.ok) store().runFinished(r.value, id);
  else store().runFailed(r.error);
}

export async function cancelRun(): Promise<void> {
  const run = store().run;
  if (run) await invoke('diagnosis:cancel', { runId: run.id });
}

/** Stores the per-step notes with the session (autosave calls this a moment after typing stops). */
export async function saveNotes(): Promise<void> {
  const { session, notes } = store();
  if (!session) return;
  const r = await invoke('sessions:update', { id: session.id, notes: serializeNotes(notes) });
  if (r.ok) store().notesStored();
  else store().errorShown(r.error);
}

export async function loadHistory(): Promise<void> {
  const h = store().history;
  store().historyChanged({ loading: true });
  const r = await invoke('sessions:list', {
    limit: HISTORY_PAGE_SIZE,
    offset: h.page * HISTORY_PAGE_SIZE,
    ...(h.search.trim() ? { search: h.search.trim() } : {}),
    ...(h.verdict ? { verdict: h.verdict } : {}),
  });
  if (r.ok) store().historyChanged({ loading: false, items: r.value.items, total: r.value.total });
  else {
    store().historyChanged({ loading: false });
    store().errorShown(r.error);
  }
}

export async function openSession(id: string): Promise<void> {
  const r = await invoke('sessions:open', { id });
  if (r.ok) store().sessionOpened(r.value);
  else store().errorShown(r.error);
}

export async function deleteSession(id: string): Promise<void> {
  const r = await invoke('sessions:delete', { id });
  if (!r.ok) return store().errorShown(r.error);
  const h = store().history;
  store().historyChanged({ selected: h.selected.filter((x) => x !== id) });
  if (store().session?.id === id) useAppStore.setState({ report: null, session: null, notes: {} });
  await loadHistory();
}

export async function compareSelected(): Promise<void> {
  const h = store().history;
  const [a, b] = h.selected
    .map((id) => h.items.find((x) => x.id === id))
    .filter((x): x is NonNullable<typeof x> => x !== undefined)
    // Older first: the comparison reads "from the first session to the later one".
    .sort((x, y) => x.createdAt.localeCompare(y.createdAt));
  if (!a || !b) return;
  const r = await invoke('sessions:compare', { a: a.id, b: b.id });
  if (r.ok) store().compared({ a, b, result: r.value });
  else store().errorShown(r.error);
}

export async function exportSessions(ids: string[]): Promise<void> {
  const r = await invoke('sessions:export', { ids });
  if (r.ok) store().exportDone({ format: 'sessions', saved: r.value.saved });
  else store().errorShown(r.error);
}

export async function importSessions(file: { name: string; text: string }): Promise<void> {
  const r = await invoke('sessions:import', file);
  if (!r.ok) return store().errorShown(r.error);
  store().exportDone({ format: 'import', saved: JSON.stringify(r.value) });
  await loadHistory();
}

export async function exportReport(
  format: 'html' | 'pdf' | 'md' | 'json' | 'pcap',
  redact: boolean,
): Promise<void> {
  const session = store().session;
  if (!session) return;
  const r = await invoke('report:export', { id: session.id, format, redact, lang: store().lang });
  if (r.ok) store().exportDone({ format, saved: r.value.saved });
  else store().errorShown(r.error);
}

export async function copyText(text: string): Promise<boolean> {
  const r = await invoke('clipboard:write', { text });
  return r.ok;
}
