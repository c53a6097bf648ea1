import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reading a file a person named, never more than a cap. The cap applies to the bytes read, not to `stat`: a FIFO,
 * `/dev/zero`, `/proc` files or a log that grows while read all report a size that says nothing about how much
 * `read` will return, so the loop counts what it got and stops one byte past the cap.
 */

/** What a bounded read found: the bytes, or that there were more than `max` (then nothing is returned). */
export type BoundedRead =
  { readonly kind: 'ok'; readonly bytes: Buffer } | { readonly kind: 'too-big'; readonly max: number };

/** A tail read: the last bytes of a regular file, and whether earlier bytes were left unread. */
export interface TailRead {
  readonly bytes: Buffer;
  readonly truncated: boolean;
}

const CHUNK = 64 * 1024;
/** A pipe whose writer goes quiet this long is given up on (a read must never hang the command). */
const IDLE_LIMIT_MS = 10_000;
const IDLE_STEP_MS = 20;

function errno(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(message);
  e.code = code;
  return e;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Opens without blocking: a FIFO opened for reading blocks in open(2) until a writer comes, which would hang the
 * command with no way to say why. O_NONBLOCK changes nothing for regular files.
 */
function openNonBlocking(file: string): number {
  return openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
}

/** One read(2) that waits (bounded) while a non-blocking pipe is empty but still has a writer. */
function readSome(fd: number, buf: Buffer, position: number | null, idleLimitMs: number): number {
  for (let waited = 0; ; waited += IDLE_STEP_MS) {
    try {
      return readSync(fd, buf, 0, buf.length, position);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      if (waited >= idleLimitMs) throw errno('ETIMEDOUT', 'no data from the pipe');
      sleepSync(IDLE_STEP_MS);
    }
  }
}

/**
 * Reads a whole file of at most `max` bytes. Errors of open/read (ENOENT, EACCES, EISDIR, ETIMEDOUT for a pipe
 * that stays silent) are thrown as they are, for the caller to name.
 */
export function readBounded(file: string, max: number, idleLimitMs = IDLE_LIMIT_MS): BoundedRead {
  const fd = openNonBlocking(file);
  try {
    // Positioned reads for regular files: nothing else moves the offset, and a growing file still stops at the cap.
    const positioned = fstatSync(fd).isFile();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Never ask for more than one byte past the cap: that byte is what proves "too big".
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, max + 1 - total));
      const n = readSome(fd, buf, positioned ? total : null, idleLimitMs);
      if (n === 0) break;
      chunks.push(n === buf.length ? buf : buf.subarray(0, n));
      total += n;
      if (total > max) return { kind: 'too-big', max };
    }
    return { kind: 'ok', bytes: Buffer.concat(chunks, total) };
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `max` bytes of a regular file, read with one positioned read from the end, so a 1.5 GB log costs
 * `max` bytes of memory. Anything that is not a regular file has no end to read from and is refused with
 * `ENOTREG`. A tail that starts mid-file drops its first, partial line.
 */
export function readTailBounded(file: string, max: number): TailRead {
  const fd = openNonBlocking(file);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw errno('ENOTREG', 'not a regular file');
    const start = Math.max(0, st.size - max);
    const buf = Buffer.allocUnsafe(Math.min(max, st.size));
    let got = 0;
    // The file may shrink (rotation) or grow while read: read what is there up to the buffer's end, no more.
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, start + got);
      if (n === 0) break;
      got += n;
    }
    let bytes = buf.subarray(0, got);
    if (start > 0) {
      const nl = bytes.indexOf(0x0a);
      bytes = nl === -1 ? bytes.subarray(bytes.length) : bytes.subarray(nl + 1);
    }
    return { bytes, truncated: start > 0 };
  } finally {
    closeSync(fd);
  }
}
