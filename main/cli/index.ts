import { main } from './main';

/** The origin-doctor executable: wires the process to the CLI and turns signals into cancellation. */
const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort(); // first Ctrl-C: stop probes, keep what finished, still print the report
});
process.on('SIGTERM', () => controller.abort());

// `origin-doctor … | head`: the reader closing the pipe early is normal, not a crash. The rest of the output is
// dropped quietly and the exit status stays the run's own (1 for problems found), as with any Unix filter.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
    throw e;
  });
}

// For the benchmark: the peak resident memory and the CPU time (user + system) of this run, on stderr at exit.
if (process.env.ORIGIN_DOCTOR_REPORT_RSS) {
  process.on('exit', () => {
    const use = process.resourceUsage();
    process.stderr.write(
      `peak-rss-kb: ${use.maxRSS}\ncpu-ms: ${Math.round((use.userCPUTime + use.systemCPUTime) / 1000)}\n`,
    );
  });
}

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A bug, not bad input: one line, and the stack only when asked for.
    process.stderr.write(
      `origin-doctor: internal error: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    if (process.env.ORIGIN_DOCTOR_DEBUG) process.stderr.write(`${err instanceof Error ? err.stack : ''}\n`);
    process.exitCode = 3;
  },
);
