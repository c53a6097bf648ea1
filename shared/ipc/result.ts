import { z } from 'zod';

/** Every IPC answer comes in this envelope: a value, or an error as a message key with its values. */
export type IpcResult<T> =
  { ok: true; value: T } | { ok: false; error: { key: string; params: Record<string, string | number> } };

export const ipcErrorSchema = z.object({
  key: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});

/** The zod schema of an envelope around `value`. */
export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: ipcErrorSchema }),
  ]);
}
