#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly (tsx), so a clone works after `npm ci` without a build step.
require('tsx/cjs/api').register();
const { main } = require('../src/cli/main.ts');
main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(`anvil: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
