import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { APP_SCHEME, resolveAppPath } from './app-url';

/** Before `ready`: `app:` is a standard, secure scheme, so `'self'` in the CSP and relative URLs work as on https. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** After `ready`: serve `app://renderer/…` from the built renderer folder only; anything else is a 404. */
export function serveRenderer(root: string): void {
  protocol.handle(APP_SCHEME, (request) => {
    const file = resolveAppPath(root, request.url);
    if (!file) return new Response(null, { status: 404 });
    return net.fetch(pathToFileURL(file).href);
  });
}
