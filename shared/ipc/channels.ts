/** The names of every invoke channel and event, without their schemas: the sandboxed preload imports only this. */
export const INVOKE_CHANNELS = [
  'app:info',
  'diagnosis:run',
  'diagnosis:rerun-step',
  'diagnosis:cancel',
  'clipboard:write',
  'sessions:list',
  'sessions:open',
  'sessions:update',
  'sessions:delete',
  'sessions:retest',
  'sessions:compare',
  'sessions:export',
  'sessions:import',
  'report:export',
] as const;
export const EVENT_CHANNELS = ['probe:progressed'] as const;
