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
  /** Another version of the rule files to compare with them ("Compare with another version"), same bounds. */
  policiesAfter: z
    .array(z.object({ name: z.string().max(200), text: z.string().max(8 * 1024 * 1024) }))
    .max(8)
    .optional(),
  /** An origin-check bundle as read from its JSON file (checked against its schema in main). */
  originBundle: z.unknown().optional(),
  /** Pasted origin output (`ss -ltnp`, `netstat`, error logs …), turned into a bundle in main. */
  originPastes: z
    .array(z.object({ name: z.string().max(200), text: z.string().max(8 * 1024 * 1024) }))
    .max(8)
    .optional(),
  /** The customer's error page or response headers, decoded in main (provider, code, reference, layer). */
  errorPage: z
    .string()
    .max(1024 * 1024)
    .optional(),
  /** Capture the probes' packets (tcpdump / dumpcap) for the handshake timeline. */
  capture: z.boolean().optional(),
  /** Watch instead of a one-off run: seconds between rounds and for how long, as typed. */
  watch: z.object({ intervalS: z.string().max(10), durationS: z.string().max(10) }).optional(),
});

export const appInfoSchema = z.object({ version: z.string(), platform: z.string(), userData: z.string() });

/** The wizard's steps after setup; each shows one layer's probes and findings and can be run again alone. */
export const WIZARD_LAYERS = ['network', 'protocol', 'policy', 'origin'] as const;
export type WizardLayer = (typeof WIZARD_LAYERS)[number];

export const sessionSummarySchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(['running', 'finished', 'interrupted', 'cancelled']),
  verdict: z.enum(['healthy', 'degraded', 'broken']).nullable(),
  domain: z.string().nullable(),
  endpoints: z.array(z.string()),
  parentId: z.string().nullable(),
  tags: z.array(z.string()),
  topCause: z.string().nullable(),
});
export type SessionSummaryDto = z.infer<typeof sessionSummarySchema>;

/** A stored session as the app reopens it: the report exactly as it was, with its notes and tags. */
export const openedSessionSchema = z.object({
  report: reportSchema,
  status: sessionSummarySchema.shape.status,
  parentId: z.string().nullable(),
  notes: z.string(),
  tags: z.array(z.string()),
});

export const comparisonSchema = z.object({
  a: z.string(),
  b: z.string(),
  verdict: z.object({ a: z.string().nullable(), b: z.string().nullable() }),
  changes: z.array(
    z.object({
      id: z.string(),
      target: z.string(),
      change: z.enum(['fixed', 'still_failing', 'new']),
      severity: z.string(),
    }),
  ),
});

const sessionId = z.string().min(1).max(100);
/** Where a saved file went, or null when the person closed the save dialog. */
const savedSchema = z.object({ saved: z.string().nullable() });

export const CONTRACT = {
  'app:info': { input: z.null(), output: appInfoSchema },
  'diagnosis:run': {
    input: z.object({ runId: z.string().uuid(), form: rawSessionInputSchema }),
    output: reportSchema,
  },
  /** Runs one step's probes again (after new rules or an origin bundle were given) and saves a linked session. */
  'diagnosis:rerun-step': {
    input: z.object({
      runId: z.string().uuid(),
      sessionId,
      layer: z.enum(WIZARD_LAYERS),
      form: rawSessionInputSchema,
    }),
    output: reportSchema,
  },
  'diagnosis:cancel': { input: z.object({ runId: z.string().uuid() }), output: z.boolean() },
  'sessions:list': {
    input: z.object({
      search: z.string().max(200).optional(),
      verdict: z.enum(['healthy', 'degraded', 'broken']).optional(),
      limit: z.number().int().min(1).max(200),
      offset: z.number().int().min(0),
    }),
    output: z.object({ total: z.number().int(), items: z.array(sessionSummarySchema) }),
  },
  'sessions:open': { input: z.object({ id: sessionId }), output: openedSessionSchema },
  'sessions:update': {
    input: z.object({
      id: sessionId,
      notes: z.string().max(200_000),
      tags: z.array(z.string().max(50)).max(20).optional(),
    }),
    output: z.boolean(),
  },
  'sessions:delete': { input: z.object({ id: sessionId }), output: z.boolean() },
  'sessions:retest': { input: z.object({ runId: z.string().uuid(), id: sessionId }), output: reportSchema },
  'sessions:compare': { input: z.object({ a: sessionId, b: sessionId }), output: comparisonSchema },
  'sessions:export': { input: z.object({ ids: z.array(sessionId).min(1).max(1000) }), output: savedSchema },
  'sessions:import': {
    input: z.object({ name: z.string().max(200), text: z.string().max(64 * 1024 * 1024) }),
    output: z.object({ imported: z.number().int(), copies: z.number().int(), present: z.number().int() }),
  },
  'report:export': {
    input: z.object({
      id: sessionId,
      format: z.enum(['html', 'pdf', 'md', 'json', 'pcap']),
      redact: z.boolean(),
      lang: z.enum(LANGS),
    }),
    output: savedSchema,
  },
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
