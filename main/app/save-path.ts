import type { PlatformPath } from 'node:path';

/** Longest file name the save dialog is offered; well under every file system's 255-byte limit. */
export const MAX_SAVE_NAME = 120;

const UNSAFE = /[^A-Za-z0-9._-]+/g;

/**
 * A suggested file name reduced to [A-Za-z0-9._-], at most MAX_SAVE_NAME characters, keeping its extension.
 * Session ids reach this name from imported files, so it may hold separators, `..`, control or bidi
 * characters; none of them survive. Leading dots are dropped (no hidden file, no `..`); an empty stem
 * becomes `origin-doctor`.
 */
export function sanitizeFileName(suggested: string): string {
  const clean = suggested.replace(UNSAFE, '_');
  const dot = clean.lastIndexOf('.');
  const rawExt = dot > 0 ? clean.slice(dot + 1) : '';
  const ext = rawExt.replace(/\./g, '').slice(0, 8);
  const stem = (dot > 0 ? clean.slice(0, dot) : clean).replace(/^[._-]+/, '').replace(/\.{2,}/g, '.');
  const room = MAX_SAVE_NAME - (ext ? ext.length + 1 : 0);
  const bounded = (stem || 'origin-doctor').slice(0, room).replace(/[.]+$/, '') || 'origin-doctor';
  return ext ? `${bounded}.${ext}` : bounded;
}

/**
 * The save dialog's default path: the sanitised name joined inside the user's documents folder. The
 * result is checked to sit directly in that folder, so no name can steer the dialog elsewhere.
 */
export function defaultSavePath(documents: string, suggested: string, p: PlatformPath): string {
  const folder = p.resolve(documents);
  const full = p.join(folder, sanitizeFileName(suggested));
  if (p.dirname(full) !== folder) throw new Error(`save path escaped the documents folder: ${full}`);
  return full;
}
