import os from 'node:os';
import path from 'node:path';

export const PRODUCT_NAME = 'Origin Doctor';
export const DB_FILE_NAME = 'origin-doctor.sqlite';

/**
 * The app's userData folder, resolved the way Electron does for this product name, so the CLI and the desktop
 * app find the same history: %APPDATA% on Windows, ~/Library/Application Support on macOS, $XDG_CONFIG_HOME
 * (or ~/.config) on Linux.
 */
export function userDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (platform === 'win32')
    return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (platform === 'darwin') return path.posix.join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return path.posix.join(env.XDG_CONFIG_HOME || path.posix.join(home, '.config'), PRODUCT_NAME);
}

/** The default session database: `origin-doctor.sqlite` in userData. */
export function defaultDbFile(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home?: string,
): string {
  const dir = userDataDir(env, platform, home);
  return platform === 'win32' ? path.win32.join(dir, DB_FILE_NAME) : path.posix.join(dir, DB_FILE_NAME);
}
