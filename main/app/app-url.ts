import path from 'node:path';

/**
 * The renderer is served from `app://renderer/…` instead of `file://` (Electron's security checklist: a file URL
 * page may read any file the user can, and every file URL shares one origin). This part has no Electron in it,
 * so the path rules are tested in plain Node; `protocol.ts` registers it.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'renderer';
export const APP_ENTRY = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * The file under `root` that an `app://renderer/…` URL names, or null: another scheme or host, an encoded
 * slash or backslash, a NUL, or a path that leaves `root` once decoded and normalised (`..`, `%2e%2e`).
 */
export function resolveAppPath(root: string, url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || u.username || u.password || u.port)
    return null;
  if (/%2f|%5c|%00/i.test(u.pathname)) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  if (rel === '/' || rel === '') rel = '/index.html';
  const base = path.resolve(root);
  const file = path.resolve(base, `.${path.posix.normalize(rel)}`);
  if (file !== base && !file.startsWith(base + path.sep)) return null;
  if (file === base) return null;
  return file;
}

/** True for the app's own pages (the IPC sender check): the entry, with or without a query or fragment. */
export function isAppPageUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.pathname === '/index.html';
  } catch {
    return false;
  }
}
