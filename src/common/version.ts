// The frontend's version, compared with the server extension's in the
// status handshake. Both come from package.json (the Python version is
// derived from it at build time).
declare const require: (id: string) => { version: string };

export const VERSION: string = require('../../package.json').version;
