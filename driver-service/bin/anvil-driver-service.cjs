#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly (tsx), as the anvil command does.
require('tsx/cjs/api').register();
const { main } = require('../src/main.ts');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`anvil-driver-service: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
