/**
 * A small reader for the capture files tcpdump and dumpcap write: classic pcap (either byte order, micro- or
 * nanosecond stamps) and pcapng (section, interface description, enhanced, simple and the obsolete packet blocks).
 * It yields each frame with its link type and time; `decodeFrame` (./packet) takes it from there. Pure: bytes in,
 * frames out. A damaged or cut-off file ends the frames where the damage starts and says so, it never throws.
 * At most MAX_FRAMES frames are kept: the rest are counted, not read, and `framesNotRead` says how many.
 */

export interface Frame {
  /** Seconds since the epoch, with the file's own resolution. */
  readonly time: number;
  readonly linkType: number;
  /** The captured bytes (possibly fewer than were on the wire, at the snap length). */
  readonly data: Uint8Array;
  readonly originalLength: number;
}

export interface CaptureFile {
  readonly format: 'pcap' | 'pcapng';
  readonly frames: Frame[];
  /** Why reading stopped before the end of the bytes, when it did. */
  readonly problem: string | null;
  /** Frames past MAX_FRAMES: counted, not kept (a capture of the session's own probes is far smaller). */
  readonly framesNotRead: number;
}

const PCAP_MAGIC = {
  0xa1b2c3d4: { nano: false },
  0xa1b23c4d: { nano: true },
} as const;

const MAX_FRAME = 256 * 1024;
/** Frames kept from one file: a session's probes make hundreds; a huge or crafted file must not fill memory. */
export const MAX_FRAMES = 100_000;

/** Reads a pcap or pcapng file. Anything else: no frames and a problem that says what the bytes are not. */
export function readCapture(bytes: Uint8Array): CaptureFile {
  if (bytes.length < 4)
    return { format: 'pcap', frames: [], problem: 'not a capture file (too short)', framesNotRead: 0 };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) === 0x0a0d0d0a) return readPcapng(bytes, view);
  return readPcap(bytes, view);
}

function readPcap(bytes: Uint8Array, view: DataView): CaptureFile {
  let little: boolean;
  let nano: boolean;
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  if (le in PCAP_MAGIC) {
    little = true;
    nano = PCAP_MAGIC[le as keyof typeof PCAP_MAGIC].nano;
  } else if (be in PCAP_MAGIC) {
    little = false;
    nano = PCAP_MAGIC[be as keyof typeof PCAP_MAGIC].nano;
  } else {
    return {
      format: 'pcap',
      frames: [],
      problem: 'not a capture file (no pcap or pcapng signature)',
      framesNotRead: 0,
    };
  }
  if (bytes.length < 24)
    return { format: 'pcap', frames: [], problem: 'the file header is cut off', framesNotRead: 0 };
  // The link type's low 16 bits; the upper bits carry FCS flags.
  const linkType = view.getUint32(20, little) & 0xffff;
  const frames: Frame[] = [];
  let notRead = 0;
  const done = (problem: string | null): CaptureFile => ({
    format: 'pcap',
    frames,
    problem,
    framesNotRead: notRead,
  });
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) return done('the last record is cut off');
    const sec = view.getUint32(off, little);
    const frac = view.getUint32(off + 4, little);
    const incl = view.getUint32(off + 8, little);
    const orig = view.getUint32(off + 12, little);
    if (incl > MAX_FRAME) return done(`a record claims ${incl} bytes`);
    if (off + 16 + incl > bytes.length) return done('the last record is cut off');
    if (frames.length >= MAX_FRAMES) {
      notRead++;
      off += 16 + incl;
      continue;
    }
    frames.push({
      time: sec + frac / (nano ? 1e9 : 1e6),
      linkType,
      data: bytes.subarray(off + 16, off + 16 + incl),
      originalLength: orig,
    });
    off += 16 + incl;
  }
  return done(null);
}

interface NgInterface {
  readonly linkType: number;
  /** Ticks per second of this interface's time stamps. */
  readonly ticks: number;
}

function readPcapng(bytes: Uint8Array, view: DataView): CaptureFile {
  const frames: Frame[] = [];
  let notRead = 0;
  const done = (problem: string | null): CaptureFile => ({
    format: 'pcapng',
    frames,
    problem,
    framesNotRead: notRead,
  });
  const keep = (frame: Frame): void => {
    if (frames.length < MAX_FRAMES) frames.push(frame);
    else notRead++;
  };
  let little = true;
  let interfaces: NgInterface[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) return done('the last block is cut off');
    const type = view.getUint32(off, little);
    if (type === 0x0a0d0d0a) {
      // Section header: its byte-order magic decides how everything in the section is read.
      const magic = view.getUint32(off + 8, true);
      if (magic === 0x1a2b3c4d) little = true;
      else if (magic === 0x4d3c2b1a) little = false;
      else return done('a section header has no byte-order magic');
      interfaces = [];
    }
    const length = view.getUint32(off + 4, little);
    if (length < 12 || length % 4 !== 0 || off + length > bytes.length)
      return done('a block has an impossible length');
    const body = off + 8;
    const end = off + length - 4;
    if (type === 1 && body + 8 <= end) {
      interfaces.push({
        linkType: view.getUint16(body, little),
        ticks: tsResolution(view, body + 8, end, little),
      });
    } else if ((type === 6 || type === 2) && body + 20 <= end) {
      // Enhanced packet block; or the obsolete packet block (type 2, older tools): the same layout but a 16-bit
      // interface id followed by a 16-bit drop count.
      const iface = interfaces[type === 6 ? view.getUint32(body, little) : view.getUint16(body, little)];
      const incl = view.getUint32(body + 12, little);
      const orig = view.getUint32(body + 16, little);
      if (!iface) return done('a packet names an undeclared interface');
      if (body + 20 + incl > end) return done('a packet block is cut off');
      const ts = view.getUint32(body + 4, little) * 2 ** 32 + view.getUint32(body + 8, little);
      keep({
        time: ts / iface.ticks,
        linkType: iface.linkType,
        data: bytes.subarray(body + 20, body + 20 + incl),
        originalLength: orig,
      });
    } else if (type === 3 && body + 4 <= end) {
      // Simple packet block: interface 0, no time stamp.
      const iface = interfaces[0];
      const orig = view.getUint32(body, little);
      const incl = Math.min(orig, end - body - 4);
      if (!iface) return done('a packet names an undeclared interface');
      keep({
        time: frames.at(-1)?.time ?? 0,
        linkType: iface.linkType,
        data: bytes.subarray(body + 4, body + 4 + incl),
        originalLength: orig,
      });
    }
    off += length;
  }
  return done(null);
}

/** The if_tsresol option (code 9): a power of 10, or of 2 with the high bit set; microseconds when absent. */
function tsResolution(view: DataView, off: number, end: number, little: boolean): number {
  while (off + 4 <= end) {
    const code = view.getUint16(off, little);
    const len = view.getUint16(off + 2, little);
    if (code === 0) break;
    if (code === 9 && len >= 1) {
      const v = view.getUint8(off + 4);
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    off += 4 + Math.ceil(len / 4) * 4;
  }
  return 1e6;
}
