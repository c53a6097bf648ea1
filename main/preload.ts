import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../shared/ipc/channels';

/**
 * The sandboxed preload: exposes `window.api` with invoke / on for the allow-listed channels only. Nothing
 * else of Electron or Node reaches the page; unknown channels are refused here before they reach main.
 */
const invokeAllowed = new Set<string>(INVOKE_CHANNELS);
const eventsAllowed = new Set<string>(EVENT_CHANNELS);

contextBridge.exposeInMainWorld('api', {
  invoke(channel: string, input: unknown): Promise<unknown> {
    if (!invokeAllowed.has(channel)) return Promise.reject(new Error(`channel not allowed: ${channel}`));
    return ipcRenderer.invoke(channel, input);
  },
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!eventsAllowed.has(event)) throw new Error(`event not allowed: ${event}`);
    const wrapped = (_e: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => ipcRenderer.removeListener(event, wrapped);
  },
});
