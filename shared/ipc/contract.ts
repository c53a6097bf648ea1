import { z } from 'zod';
import { LANGS, reportSchema } from '../model/report';
import type { EVENT_CHANNELS, INVOKE_CHANNELS } from './channels';

/**
 * Every message the renderer can send, with its input and output schemas. The preload's allow-list is derived
 * from this object, and the main process parses every input with it before a handler runs.
 */
export const rawSessionInputSchema = z.object({
  domain: z.string().max(300).optional(),
  endpoints: z.array(z.string().max(300)).max(64).optional(),
  dnsServers: z.array(z.string().max(100)).max(32).optional(),
  sourceRanges: z.array(z.string().max(100)).max(20000).optional(),
  provider: z.string().max(50).optional(),
  symptom: z.string().max(20).optional(),
  sslMode: z.string().max(20).optional(),
  timeoutMs: z.string().max(10).optional(),
  attempts: z.string().max(10).optional(),
  healthPath: z.string().max(4096).optional(),
  lang: z.enum(LANGS).optional(),
  /** Rule files pasted, picked or dropped, in layer order (checked by the policy parsers in main). */
  policies: z
    .array(z.object({ name: z.string().max(200), text: z.string().max(8 * 1024 * 1024) }))
    .max(8)
    .optional(),
  /** An origin-check bundle as read from its JSON file (checked against its schema in main). */
  originBundle: z.unknown().optional(),
});

export const appInfoSchema = z.object({ version: z.string(), platform: z.string(), userData: z.string() });

export const CONTRACT = {
  'app:info': { input: z.null(), output: appInfoSchema },
  'diagnosis:run': {
    input: z.object({ runId: z.string().uuid(), form: rawSessionInputSchema }),
    output: reportSchema,
  },
  'diagnosis:cancel': { input: z.object({ runId: z.string().uuid() }), output: z.boolean() },
  /** Copies text (fix commands, Terraform, Ansible) to the system clipboard; main does it, not the page. */
  'clipboard:write': { input: z.object({ text: z.string().max(1024 * 1024) }), output: z.boolean() },
} as const;

export type Channel = keyof typeof CONTRACT;
export type ChannelInput<C extends Channel> = z.infer<(typeof CONTRACT)[C]['input']>;
export type ChannelOutput<C extends Channel> = z.infer<(typeof CONTRACT)[C]['output']>;
export const CHANNELS = Object.keys(CONTRACT) as Channel[];
// The preload's list and the contract must name the same channels; this fails to compile when they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const CHANNELS_MATCH: Same<Channel, (typeof INVOKE_CHANNELS)[number]> = true;

/** Events pushed from main to the renderer. */
export const EVENTS = {
  'probe:progressed': z.object({
    runId: z.string(),
    type: z.enum(['probe-started', 'probe-progressed', 'probe-finished']),
    probeId: z.string(),
    kind: z.string(),
    target: z.string(),
    status: z.string().nullable(),
  }),
} as const;

export type EventName = keyof typeof EVENTS;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];
export const EVENTS_MATCH: Same<EventName, (typeof EVENT_CHANNELS)[number]> = true;
