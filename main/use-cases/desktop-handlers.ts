import { randomUUID } from 'node:crypto';
import type { EventName, EventPayload } from '../../shared/ipc/contract';
import type { SessionField } from '../../shared/net/session-input';
import { buildSessionInput } from '../../shared/net/session-input';
import { createTranslator } from '../../shared/i18n/translate';
import type { Handlers } from '../app/ipc';
import { UserError } from '../app/ipc';
import { runDiagnosis } from './run-diagnosis';
import { parsePolicies } from '../policy/parse';
import { originBundleSchema } from '../../shared/model/origin-bundle';

export interface DesktopPorts {
  readonly version: string;
  readonly platform: string;
  readonly userData: string;
  /** Sends an event to the window that asked (by its webContents id). */
  readonly emit: <E extends EventName>(senderId: number, event: E, payload: EventPayload<E>) => void;
  readonly now?: () => Date;
  /** Writes to the system clipboard (Electron's clipboard in the app). */
  readonly writeClipboard: (text: string) => void;
}

/** The desktop app's IPC handlers: thin adapters from the contract to the same use-cases the CLI calls. */
export function createDesktopHandlers(ports: DesktopPorts): Handlers {
  const running = new Map<string, AbortController>();
  return {
    'app:info': async () => ({ version: ports.version, platform: ports.platform, userData: ports.userData }),
    'diagnosis:run': async ({ runId, form }, sender) => {
      const lang = form.lang ?? 'en';
      const t = createTranslator(lang);
      const { policies: rules, originBundle, ...fields } = form;
      const input = buildSessionInput(fields, (field: SessionField) => t(`app.field.${field}`), lang);
      if (!input.ok) throw new UserError(input.error.key, input.error.params);
      // Rule files and the origin bundle are checked before any probe runs, with the file and line named.
      const policies = (rules ?? []).map((r) => ({ name: r.name, text: r.text, format: null }));
      const parsed = parsePolicies(policies);
      if (!parsed.ok) throw new UserError(parsed.error.key, parsed.error.params);
      let origin = null;
      if (originBundle !== undefined) {
        const b = originBundleSchema.safeParse(originBundle);
        if (!b.success) {
          const issue = b.error.issues[0]!;
          throw new UserError('origin.bundle_invalid', {
            file: t('app.origin_bundle'),
            path: issue.path.join('.') || '-',
            detail: issue.message,
          });
        }
        origin = b.data;
      }
      const session = {
        ...input.value,
        ...(policies.length ? { policies } : {}),
        ...(origin ? { origin } : {}),
      };
      const controller = new AbortController();
      running.set(runId, controller);
      try {
        return await runDiagnosis(session, {
          now: ports.now ?? (() => new Date()),
          newId: randomUUID,
          signal: controller.signal,
          onEvent: (e) => {
            const base =
              e.type === 'probe-finished'
                ? {
                    probeId: e.record.id,
                    kind: e.record.kind,
                    target: e.record.target,
                    status: e.record.status,
                  }
                : e.type === 'probe-started'
                  ? { probeId: e.id, kind: e.kind, target: e.target, status: null }
                  : { probeId: e.id, kind: '', target: '', status: null };
            ports.emit(sender.id, 'probe:progressed', { runId, type: e.type, ...base });
          },
        });
      } finally {
        running.delete(runId);
      }
    },
    'diagnosis:cancel': async ({ runId }) => {
      const c = running.get(runId);
      c?.abort();
      return c !== undefined;
    },
    'clipboard:write': async ({ text }) => {
      ports.writeClipboard(text);
      return true;
    },
  };
}
