/**
 * Unit tests start no process: every way node:child_process has to start one throws here. A test that needs a
 * real program belongs in test/integration (and a handler's commands are held in a RecordingRunner instead).
 */
function refuse(name: string): () => never {
  return () => {
    throw new Error(`unit tests must not start processes (child_process.${name}); use a RecordingRunner, or move the test to test/integration`);
  };
}

function guarded(): Record<string, unknown> {
  const actual = jest.requireActual<Record<string, unknown>>('node:child_process');
  const out: Record<string, unknown> = { ...actual };
  for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) out[name] = refuse(name);
  return out;
}

jest.mock('node:child_process', guarded);
jest.mock('child_process', guarded);
