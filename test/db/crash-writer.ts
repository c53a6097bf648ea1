// Child process for the crash test: writes sessions and probe results as fast as it can and prints the key of
// each one the moment its commit returns. The parent kills it with SIGKILL at a random moment.
import { openDatabase } from '../../main/db/open';
import { SessionsRepo } from '../../main/db/sessions-repo';
import { sessionInput } from '../lab/session-input';

const file = process.argv[2]!;
const round = process.argv[3]!;
const input = sessionInput({ domain: 'www.example.com' });

void openDatabase(file).then(({ db }) => {
  const repo = new SessionsRepo(db);
  process.stdout.write('open\n');
  for (let s = 0; ; s++) {
    const id = `r${round}-s${s}`;
    repo.create({ id, createdAt: new Date().toISOString(), input, parentId: null, toolVersion: 'test' });
    process.stdout.write(`session ${id}\n`);
    for (let p = 0; p < 20; p++) {
      repo.appendProbe(id, {
        id: `tcp-${p}`,
        kind: 'tcp',
        target: 'x',
        startedAt: new Date().toISOString(),
        durationMs: p,
        status: 'ok',
        data: { n: p, pad: 'x'.repeat(200) },
        raw: 'raw',
      });
      process.stdout.write(`probe ${id} tcp-${p}\n`);
    }
    repo.finish(id, {
      status: 'finished',
      finishedAt: new Date().toISOString(),
      verdict: 'healthy',
      environment: null,
      findings: [],
      causes: [],
    });
    process.stdout.write(`finished ${id}\n`);
  }
});
