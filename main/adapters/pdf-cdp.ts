import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * Printing through the Chrome DevTools Protocol over a pipe (`--remote-debugging-pipe`): no WebSocket, no port,
 * no driver library to load. Messages are JSON, each ended by a NUL byte, on file descriptors 3 (to Chromium)
 * and 4 (from it). Scripts are disabled in the page before the report is loaded.
 */

export interface CdpPrintOptions {
  readonly executable: string;
  readonly args: readonly string[];
  readonly timeoutMs?: number;
}

/** A4 with the report's margins, in inches as the protocol wants them. */
const MM = 1 / 25.4;
const PRINT = {
  printBackground: true,
  paperWidth: 210 * MM,
  paperHeight: 297 * MM,
  marginTop: 14 * MM,
  marginBottom: 14 * MM,
  marginLeft: 12 * MM,
  marginRight: 12 * MM,
  transferMode: 'ReturnAsBase64',
  // Tagged PDF makes Chromium build an accessibility tree of every page: several times slower and larger.
  generateTaggedPDF: false,
  generateDocumentOutline: false,
};

export function printWithCdp(html: string, opts: CdpPrintOptions): Promise<Buffer> {
  const profile = mkdtempSync(path.join(tmpdir(), 'od-pdf-'));
  const child = spawn(
    opts.executable,
    [...opts.args, '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  const toChrome = child.stdio[3] as Writable;
  const fromChrome = child.stdio[4] as Readable;
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    if (stderr.length < 8192) stderr += b.toString('utf8');
  });

  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  let buffer = Buffer.alloc(0);
  let failed: Error | null = null;

  const fail = (e: Error): void => {
    if (failed) return;
    failed = e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  fromChrome.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    let end: number;
    while ((end = buffer.indexOf(0)) >= 0) {
      const text = buffer.subarray(0, end).toString('utf8');
      buffer = buffer.subarray(end + 1);
      let msg: {
        id?: number;
        method?: string;
        sessionId?: string;
        result?: Record<string, unknown>;
        error?: { message: string };
      };
      try {
        msg = JSON.parse(text);
      } catch {
        continue;
      }
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`Chromium: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      }
    }
  });
  child.on('error', (e) => fail(e));
  child.on('exit', (code) =>
    fail(new Error(`Chromium exited (${code}) before the PDF was ready: ${stderr.trim().slice(-400)}`)),
  );
  toChrome.on('error', (e) => fail(e));

  const send = (
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> => {
    if (failed) return Promise.reject(failed);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      toChrome.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  };

  const run = async (): Promise<Buffer> => {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as {
      sessionId: string;
    };
    await send('Emulation.setScriptExecutionDisabled', { value: true }, sessionId);
    // Laid out once, for print: the report's print styles apply from the start.
    await send('Emulation.setEmulatedMedia', { media: 'print' }, sessionId);
    const { frameTree } = (await send('Page.getFrameTree', {}, sessionId)) as {
      frameTree: { frame: { id: string } };
    };
    // The document is self-contained (inline CSS and SVG, no script): written in place, nothing to fetch.
    await send('Page.setDocumentContent', { frameId: frameTree.frame.id, html }, sessionId);
    const { data } = (await send('Page.printToPDF', PRINT, sessionId)) as { data: string };
    return Buffer.from(data, 'base64');
  };

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('Chromium did not print within the time allowed')),
      opts.timeoutMs ?? 60_000,
    );
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('close', () => resolve());
  });
  /** Closes Chromium politely (its helpers exit with it), kills it if it lingers, then removes its profile. */
  const cleanUp = async (): Promise<void> => {
    clearTimeout(timer);
    child.removeAllListeners('exit');
    if (!failed) await send('Browser.close').catch(() => undefined);
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(kill);
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // A leftover profile in the temp folder is not worth failing a finished PDF for.
    }
  };
  return Promise.race([run(), deadline]).then(
    async (pdf) => {
      await cleanUp();
      return pdf;
    },
    async (e: unknown) => {
      await cleanUp();
      throw e;
    },
  );
}
