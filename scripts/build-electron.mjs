// Builds the Electron main process and preload into dist/electron/ with esbuild (CommonJS, as
// Electron loads them). Native modules and electron itself stay external (unpacked from the asar).
import { build } from 'esbuild';

// import.meta.url (used by the ESM core) is mapped to this file's URL in the CommonJS bundle.
const common = {
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning',
  define: { 'import.meta.url': '__ltxImportMetaUrl' },
  banner: { js: "const __ltxImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
};
await build({ ...common, entryPoints: ['main/electron/main.ts'], outfile: 'dist/electron/main.cjs', external: ['electron', 'better-sqlite3', '@napi-rs/keyring', '@ffmpeg-installer/*', '@ffprobe-installer/*'] });
await build({ ...common, entryPoints: ['preload/preload.ts'], outfile: 'dist/electron/preload.cjs', external: ['electron'] });
console.log('built dist/electron/main.cjs and dist/electron/preload.cjs');
