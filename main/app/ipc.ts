import type { IpcMainInvokeEvent } from 'electron';
import { CONTRACT, type Channel, type ChannelInput, type ChannelOutput } from '../../shared/ipc/contract';
import type { IpcResult } from '../../shared/ipc/result';

/** The part of Electron's ipcMain the app uses: a fake with this shape tests the handlers without Electron. */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: Pick<IpcMainInvokeEvent, 'senderFrame' | 'sender'>, input: unknown) => Promise<unknown>,
  ): void;
}

export type Handlers = {
  [C in Channel]: (input: ChannelInput<C>, sender: { id: number }) => Promise<ChannelOutput<C>>;
};

export class UserError extends Error {
  constructor(
    readonly key: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(key);
  }
}

/**
 * Registers every channel of the contract through one wrapper: the sender must be our own page (the app's
 * origin, top frame), the input must parse with the channel's schema, and the answer comes in an envelope.
 */
export function registerHandlers(
  ipc: IpcMainLike,
  handlers: Handlers,
  isTrustedUrl: (url: string) => boolean,
): void {
  for (const channel of Object.keys(CONTRACT) as Channel[]) {
    ipc.handle(channel, async (event, raw): Promise<IpcResult<unknown>> => {
      const frame = event.senderFrame;
      if (!frame || frame.parent !== null || !isTrustedUrl(frame.url)) {
        return { ok: false, error: { key: 'ipc.untrusted_sender', params: {} } };
      }
      const parsed = CONTRACT[channel].input.safeParse(raw);
      if (!parsed.success) {
        return {
          ok: false,
          error: { key: 'ipc.bad_input', params: { channel, issue: parsed.error.issues[0]?.message ?? '' } },
        };
      }
      try {
        const handler = handlers[channel] as (input: unknown, sender: { id: number }) => Promise<unknown>;
        return { ok: true, value: await handler(parsed.data, { id: event.sender.id }) };
      } catch (e) {
        if (e instanceof UserError) return { ok: false, error: { key: e.key, params: e.params } };
        return {
          ok: false,
          error: {
            key: 'ipc.internal_error',
            params: { message: e instanceof Error ? e.message : String(e) },
          },
        };
      }
    });
  }
}
