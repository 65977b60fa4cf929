#!/usr/bin/env node
'use strict';
// `anvil-agent [flags]` = `anvil agent [flags]`: the deploy ramdisk's daemon.
require('tsx/cjs/api').register();
const { main } = require('../src/cli/main.ts');
main([process.argv[0], 'anvil', 'agent', ...process.argv.slice(2)]).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`anvil-agent: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
