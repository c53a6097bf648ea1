// Child process for the first-open race: opens (creating) the database given, once, and prints `ok` or the
// error's key, so the parent can start many at the same moment on one new file.
import { openDatabase } from '../../main/db/open';

const file = process.argv[2]!;
openDatabase(file).then(
  ({ db }) => {
    db.close();
    process.stdout.write('ok\n');
  },
  (e: unknown) => {
    const err = e as { key?: string; message?: string };
    process.stdout.write(`${err.key ?? 'error'} ${err.message ?? ''}\n`);
  },
);
