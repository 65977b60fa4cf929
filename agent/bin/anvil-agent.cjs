#!/usr/bin/env -S node --max-semi-space-size=1 --single-threaded-gc
'use strict';
// A 1 MiB young generation: image streams leave a trail of dead 64 KiB network buffers, which V8 otherwise lets
// pile up to its external-memory limit (~64 MiB) before collecting; in a ramdisk that memory is the machine's RAM.
// GC on the main thread only: collecting those buffers on V8's helper threads cost the agent twice the CPU
// (0.75 vs 0.45 s feeding 190 MiB of zstd to the decompressor, measured), taken from the decompressor and dd
// on a 2-core machine; the main thread mostly waits on sockets and pipes anyway.
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
