import type Database from 'better-sqlite3';

/** One schema step. Migrations are append-only: a released one is never edited, a new one is added. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly up: (db: Database.Database) => void;
}

import { m0001 } from './0001-initial';
import { m0002 } from './0002-attachments-search';

export const MIGRATIONS: readonly Migration[] = [m0001, m0002];
export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
