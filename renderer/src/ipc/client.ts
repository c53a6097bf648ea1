import {
  CONTRACT,
  type Channel,
  type ChannelInput,
  type ChannelOutput,
  type EventName,
  type EventPayload,
  EVENTS,
} from '../../../shared/ipc/contract';
import { resultSchema, type IpcResult } from '../../../shared/ipc/result';

/** What the preload exposes (or, in the browser tests, the test bridge): the only way out of the page. */
export interface Bridge {
  invoke(channel: string, input: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api?: Bridge;
  }
}

/** True when the page runs inside the app (or its test bridge). */
export function hasBridge(): boolean {
  return typeof window !== 'undefined' && window.api !== undefined;
}

/** Calls a channel and checks the answer against the contract: the page never trusts a shape it did not check. */
export async function invoke<C extends Channel>(
  channel: C,
  input: ChannelInput<C>,
): Promise<IpcResult<ChannelOutput<C>>> {
  if (!window.api) return { ok: false, error: { key: 'app.no_api', params: {} } };
  const raw = await window.api.invoke(channel, input);
  const parsed = resultSchema(CONTRACT[channel].output).safeParse(raw);
  if (!parsed.success)
    return { ok: false, error: { key: 'ipc.bad_input', params: { channel, issue: 'answer' } } };
  return parsed.data as IpcResult<ChannelOutput<C>>;
}

/** Subscribes to an event from main; payloads that do not match the contract are dropped. */
export function subscribe<E extends EventName>(
  event: E,
  listener: (payload: EventPayload<E>) => void,
): () => void {
  if (!window.api) return () => undefined;
  return window.api.on(event, (raw) => {
    const parsed = EVENTS[event].safeParse(raw);
    if (parsed.success) listener(parsed.data as EventPayload<E>);
  });
}
