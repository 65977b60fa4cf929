'use strict';
// The worker thread of ./checker.ts: checks layout bodies (./check.ts) off the service's event loop. It runs the
// TypeScript sources through tsx, as bin/anvil-driver-service.cjs does.
require('tsx/cjs/api').register();
const { parentPort } = require('node:worker_threads');
const { checkLayout } = require('./check.ts');

parentPort.on('message', ({ id, text, name }) => {
  try {
    parentPort.postMessage({ id, result: checkLayout(text, name) });
  } catch (err) {
    parentPort.postMessage({ id, failed: err && err.message ? String(err.message) : String(err) });
  }
});
