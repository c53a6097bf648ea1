import pkg from '../package.json';

/** The tool's version, from package.json (bundled into every build). */
export const APP_VERSION: string = pkg.version;
