#!/usr/bin/env node
'use strict';
// `anvil-bootstrap <command> [flags]` = `anvil bootstrap <command> [flags]`: the bootstrap store (import, list, activate, delete).
require('tsx/cjs/api').register();
const { main } = require('../src/cli/main.ts');
main([process.argv[0], 'anvil', 'bootstrap', ...process.argv.slice(2)]).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`anvil-bootstrap: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
