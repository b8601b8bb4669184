// Bundles the extension client, the language server and the command line with esbuild.
// Type checking is `tsc -b` (npm run typecheck); esbuild only strips types.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

// @nginx/reference-lib (1.7 MB of directive docs) is its own bundle, loaded on first use
// (server/src/nginx/directives.ts), so that start-up does not parse it.
const lazy = ['@nginx/reference-lib'];
// ssh2's optional native parts (cpu-features, its sshcrypto.node binding) are loaded in a
// try/catch: left out of the bundles, ssh2 falls back to its pure-JS crypto where they are absent.
const sshNatives = ['cpu-features', '*.node'];

await Promise.all([
  esbuild.build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'client/out/extension.js', external: ['vscode', ...lazy, ...sshNatives] }),
  esbuild.build({ ...common, entryPoints: ['client/src/cli.ts'], outfile: 'client/out/cli.js', external: [...lazy, ...sshNatives], banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'server/out/server.js', external: lazy }),
  esbuild.build({ ...common, entryPoints: ['@nginx/reference-lib'], outfile: 'server/out/reference.js', sourcemap: false }),
  // The webviews: one script and one stylesheet per view, for the browser (client/src/panels/webview/).
  esbuild.build({
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: ['client/src/panels/webview/diagnosis.ts', 'client/src/panels/webview/logviewer.ts', 'client/src/panels/webview/diagnosis.css', 'client/src/panels/webview/logviewer.css'],
    outdir: 'client/out/webview',
  }),
]);
