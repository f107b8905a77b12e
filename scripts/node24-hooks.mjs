// Loaded with `node --import` (through NODE_OPTIONS, so every child process gets it too) by
// scripts/node24.sh for the Node 24 pass. better-sqlite3 is a native addon built against one Node
// ABI; node_modules holds the build for the Node that ran `npm ci`. This hook sends every module
// of the better-sqlite3 package to the copy in LTX_NODE24_MODULES (built for this Node), and
// leaves everything else in node_modules as it is. Needs module.registerHooks (Node 22.15+/23.5+):
// on an older Node it does nothing.
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.LTX_NODE24_MODULES;
const PACKAGE = '/node_modules/better-sqlite3/';

if (modules && typeof module.registerHooks === 'function') {
  const target = pathToFileURL(path.join(fs.realpathSync(modules), 'better-sqlite3') + '/').href;
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      const url = resolved.url;
      if (!url || !url.startsWith('file:') || url.startsWith(target)) return resolved;
      const at = url.lastIndexOf(PACKAGE);
      if (at < 0) return resolved;
      return { ...resolved, url: target + url.slice(at + PACKAGE.length) };
    },
  });
}
