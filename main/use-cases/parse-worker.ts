import { parentPort } from 'node:worker_threads';
import { answerWorkerRequest, type WorkerRequest } from './form-analysis';

/**
 * The worker thread the desktop app reads pasted and picked texts and analyses rule files in (see off-thread.ts):
 * one request (a form's texts, or a session's policy layer), one answer,
 * then the thread is done. The main process terminates it when the person cancels or when it runs too long.
 * Built as its own entry: out/main/parse-worker.js by electron-vite, out/cli/parse-worker.cjs by build-cli.mjs.
 */
parentPort?.once('message', (req: WorkerRequest) => {
  try {
    parentPort!.postMessage({ ok: true, value: answerWorkerRequest(req) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) });
  }
});
