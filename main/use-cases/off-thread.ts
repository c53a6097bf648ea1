import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  FormAnalysis,
  FormAnalysisRequest,
  PolicyAnalysisRequest,
  WorkerAnswer,
  WorkerRequest,
} from './form-analysis';
import type { PolicyRun } from '../policy';

/**
 * How long one read in the worker may take before it is stopped. The text readers take milliseconds per MiB; the
 * policy parsers are the slow ones: an 8 MiB iptables-save (the size cap, about 130,000 rules) took 11.7 s on a
 * loaded two-core machine.
 */
export const PARSE_TIMEOUT_MS = 20_000;

/** Why an off-thread read ended without an answer; the desktop handlers word it for the person. */
export class ParseStopped extends Error {
  constructor(
    readonly reason: 'timed_out' | 'cancelled' | 'unavailable' | 'failed',
    readonly detail = '',
  ) {
    super(`${reason}${detail ? `: ${detail}` : ''}`);
  }
}

/** Reads a form's texts in a worker thread; a read with the same key that is still running is cancelled first. */
export interface OffThreadParser {
  analyse(key: string, req: FormAnalysisRequest, signal?: AbortSignal): Promise<FormAnalysis>;
  /** A session's policy layer (parse and analysis of its rule files), as runPolicy returns it. */
  policy(key: string, req: PolicyAnalysisRequest, signal?: AbortSignal): Promise<PolicyRun>;
}

/**
 * The worker's built file: beside the built main file in the app (electron-vite's out/main), else the copy
 * build-cli.mjs makes for plain Node (out/cli) when the handlers run from the sources, as in the tests.
 */
export function defaultWorkerFile(): string | null {
  const candidates = [
    path.join(__dirname, 'parse-worker.js'),
    path.join(__dirname, 'parse-worker.cjs'),
    path.resolve(__dirname, '..', '..', 'out', 'cli', 'parse-worker.cjs'),
  ];
  return candidates.find((f) => existsSync(f)) ?? null;
}

/**
 * One worker thread per read, terminated when it answers, times out (`timeoutMs`), is cancelled through its key
 * or its signal, or is replaced by a newer read with the same key. Terminating the thread stops even a reader
 * stuck in a regular expression, which no AbortSignal can interrupt; the main thread's event loop is never held.
 */
export function createOffThreadParser(
  opts: { workerFile?: string | null; timeoutMs?: number } = {},
): OffThreadParser {
  const timeoutMs = opts.timeoutMs ?? PARSE_TIMEOUT_MS;
  const running = new Map<string, (e: ParseStopped) => void>();
  const request = <R extends WorkerRequest>(
    key: string,
    req: R,
    signal?: AbortSignal,
  ): Promise<WorkerAnswer<R>> => {
    running.get(key)?.(new ParseStopped('cancelled'));
    const file = opts.workerFile === undefined ? defaultWorkerFile() : opts.workerFile;
    if (!file || !existsSync(file))
      return Promise.reject(new ParseStopped('unavailable', file ?? 'parse-worker'));
    if (signal?.aborted) return Promise.reject(new ParseStopped('cancelled'));
    return new Promise<WorkerAnswer<R>>((resolve, reject) => {
      const worker = new Worker(file);
      let done = false;
      const finish = (err: ParseStopped | null, value?: WorkerAnswer<R>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (running.get(key) === stop) running.delete(key);
        void worker.terminate();
        if (err) reject(err);
        else resolve(value!);
      };
      const stop = (e: ParseStopped): void => finish(e);
      const onAbort = (): void => finish(new ParseStopped('cancelled'));
      const timer = setTimeout(() => finish(new ParseStopped('timed_out')), timeoutMs);
      running.set(key, stop);
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.once('message', (m: { ok: true; value: WorkerAnswer<R> } | { ok: false; message: string }) =>
        m.ok ? finish(null, m.value) : finish(new ParseStopped('failed', m.message)),
      );
      worker.once('error', (e) => finish(new ParseStopped('failed', e.message)));
      worker.once('exit', (code) => finish(new ParseStopped('failed', `exit ${code}`)));
      worker.postMessage(req);
    });
  };
  return {
    analyse: (key, form, signal) => request(key, { kind: 'form', form }, signal),
    policy: (key, policy, signal) => request(key, { kind: 'policy', policy }, signal),
  };
}
