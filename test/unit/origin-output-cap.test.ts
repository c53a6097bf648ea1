import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { collectOrigin } from '../../main/probes/origin-collect';

/**
 * Issue 19, item 3: a tool's output is never cut silently. A fake `iptables-save` on an otherwise empty PATH prints
 * a real-sized dump (1.28 MB) whose only ACCEPT for 443 is its last rule — past the old 1 MiB cut.
 */
const bin = mkdtempSync(path.join(os.tmpdir(), 'od-cap-'));
const filler = Array.from(
  { length: 24_000 },
  (_, i) => `-A INPUT -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -p tcp --dport 22 -j ACCEPT`,
);
const dump = [
  '*filter',
  ':INPUT DROP [0:0]',
  ...filler,
  '-A INPUT -p tcp --dport 443 -j ACCEPT',
  'COMMIT',
  '',
].join('\n');
const dumpFile = path.join(bin, 'dump.txt');
writeFileSync(dumpFile, dump);
writeFileSync(path.join(bin, 'iptables-save'), `#!/bin/sh\nexec /bin/cat '${dumpFile}'\n`);
chmodSync(path.join(bin, 'iptables-save'), 0o755);
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const collect = (maxToolOutput?: number) =>
  collectOrigin({
    ports: [443],
    signal: new AbortController().signal,
    now: () => new Date('2026-11-29T00:00:00Z'),
    procRoot: path.join(__dirname, '..', 'fixtures', 'origin', 'proc'),
    env: { PATH: bin },
    ...(maxToolOutput === undefined ? {} : { maxToolOutput }),
  });

describe.runIf(process.platform === 'linux')(
  'origin-check never reads a cut tool output as the whole',
  () => {
    test('a 1.28 MB iptables-save is read whole: the allow rule at its end is there', async () => {
      expect(dump.length).toBeGreaterThan(1.2 * 1024 * 1024);
      const b = await collect();
      const fw = b.firewall.find((f) => f.name === 'iptables-save');
      expect(fw?.text.length).toBe(dump.length);
      expect(fw?.text).toContain('--dport 443 -j ACCEPT');
      expect(b.unavailable.filter((u) => u.part.startsWith('iptables-save'))).toEqual([]);
    });

    test('an output past the cap is not used and is named, so nothing concludes from a part', async () => {
      const b = await collect(256 * 1024);
      expect(b.firewall.find((f) => f.name === 'iptables-save')).toBeUndefined();
      expect(b.unavailable).toContainEqual({
        part: 'iptables-save',
        reason: expect.stringContaining('256 KiB'),
      });
    });
  },
);
