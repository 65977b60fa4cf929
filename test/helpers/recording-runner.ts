import type { ChildProcess } from 'node:child_process';
import { quoteArg } from '@anvil/shared';
import type { ExecResult, RunOptions, Runner } from '../../agent/src/system/runner';
import type { ImageIo } from '../../agent/src/execute/image-io';

export interface Recorded {
  readonly line: string;
  readonly argv: readonly string[];
  readonly stdin?: string;
}

/** An answer for commands whose argv starts with `prefix`. */
export interface Answer {
  readonly prefix: readonly string[];
  readonly stdout?: string | ((argv: readonly string[]) => string);
  readonly exitCode?: number;
}

function line(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}

/**
 * A Runner that starts nothing: it records every command line (with its stdin) and answers from a table, so a
 * test can hold what handlers ran against what the compiler promised.
 */
export class RecordingRunner implements Runner {
  readonly recorded: Recorded[] = [];

  constructor(private readonly answers: readonly Answer[] = []) {}

  run(argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
    const stdin = typeof options.stdin === 'string' ? options.stdin : options.stdin?.toString('utf8');
    this.recorded.push({ line: line(argv), argv, ...(stdin !== undefined ? { stdin } : {}) });
    const a = this.answers.find((x) => x.prefix.every((p, i) => argv[i] === p));
    const exitCode = a?.exitCode ?? 0;
    return Promise.resolve({ argv, exitCode, signal: null, stdout: typeof a?.stdout === 'function' ? a.stdout(argv) : a?.stdout ?? '', stderr: '', durationMs: 0, failed: exitCode !== 0, timedOut: false });
  }

  spawn(argv: readonly string[]): ChildProcess {
    this.recorded.push({ line: line(argv), argv });
    throw new Error(`the recording runner streams nothing (asked for ${line(argv)})`);
  }

  take(): Recorded[] {
    return this.recorded.splice(0, this.recorded.length);
  }
}

export interface IoCall {
  readonly op: string;
  readonly target: string;
}

/** Image and config drive I/O that records instead of touching devices; the machine is a fixed, empty one. */
export function recordingIo(calls: IoCall[], machine: Partial<ImageIo['machine']> = {}): ImageIo {
  return {
    // As the pipeline does once it knows the image's size (Content-Length, a qcow2's virtual size): 64 MiB here.
    writeImage: async (_image, device, deps) => {
      calls.push({ op: 'write image', target: device });
      await deps.zeroTarget?.(64 << 20);
    },
    extractTar: (_image, dir) => Promise.resolve(void calls.push({ op: 'extract tar', target: dir })),
    fetchConfigdrive: (url) => Promise.resolve((calls.push({ op: 'fetch config drive', target: url }), Buffer.alloc(4096))),
    writeConfigTree: (dir) => Promise.resolve(void calls.push({ op: 'config tree', target: dir.replace(/anvil-cd-[^/]+/, 'anvil-cd-X') })),
    writePartition: (_image, device) => Promise.resolve(void calls.push({ op: 'write config drive', target: device })),
    readHead: (_device, bytes) => Promise.resolve(Buffer.alloc(bytes)),
    readFile: (path) => Promise.resolve(Buffer.from(path.endsWith('.json') ? '{"uuid":"x"}' : 'image')),
    machine: {
      // Device nodes are there (as once the kernel made them); udev's by-uuid links and everything else are not.
      exists: (p) => p.startsWith('/dev/') && !p.startsWith('/dev/disk/'),
      mounted: () => false,
      hasTool: () => true,
      writeZeroes: () => true,
      tableOf: () => Promise.resolve('gpt'),
      ...machine,
    },
  };
}
