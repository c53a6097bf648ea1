/** The names of every invoke channel and event, without their schemas: the sandboxed preload imports only this. */
export const INVOKE_CHANNELS = ['app:info', 'diagnosis:run', 'diagnosis:cancel', 'clipboard:write'] as const;
export const EVENT_CHANNELS = ['probe:progressed'] as const;
