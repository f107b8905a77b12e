#!/usr/bin/env node
// Entry point of the `ltx-batch` CLI: loads the TypeScript core through tsx, then runs the CLI.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../main/cli/index.ts');
await main(process.argv);
