import { AnvilError, silentLogger, type CompiledPlan } from '@anvil/shared';
import { runCommand } from '../../../../agent/src/execute/commands';
import type { ExecContext } from '../../../../agent/src/execute/context';
import { commandFailed } from '../../../../agent/src/system/runner';
import { RecordingRunner, recordingIo, type Answer } from '../../../helpers/recording-runner';

function context(answers: readonly Answer[]): { ctx: ExecContext; runner: RecordingRunner } {
  const runner = new RecordingRunner(answers);
  // runCommand reads only the runner; the rest is there to make a whole context.
  const ctx: ExecContext = { compiled: {} as CompiledPlan, runner, log: silentLogger(), reporter: { emit: () => undefined }, firmware: 'uefi', resuming: false, io: recordingIo([]) };
  return { ctx, runner };
}

async function failure(p: Promise<unknown>): Promise<AnvilError> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(AnvilError);
  return e as AnvilError;
}

describe('runCommand', () => {
  it('throws a failing command under its failCode, with its argv and exit code in the details', async () => {
    const { ctx } = context([{ prefix: ['e2fsck'], exitCode: 4 }]);
    const e = await failure(runCommand({ argv: ['e2fsck', '-f', '-p', '/dev/x1'], okCodes: [1], failCode: 'image.fsck_failed' }, ctx));
    expect(e.code).toBe('image.fsck_failed');
    expect(e.message).toMatch(/^e2fsck failed \(exit 4\)/);
    expect(e.details).toMatchObject({ argv: ['e2fsck', '-f', '-p', '/dev/x1'], exitCode: 4 });
  });

  it('throws exec.command_failed for a failing command without a failCode', async () => {
    const { ctx } = context([{ prefix: ['resize2fs'], exitCode: 1 }]);
    const e = await failure(runCommand({ argv: ['resize2fs', '/dev/x1'] }, ctx));
    expect(e.code).toBe('exec.command_failed');
    expect(e.details).toMatchObject({ argv: ['resize2fs', '/dev/x1'], exitCode: 1 });
  });

  it('takes an exit code the command lists as success, and runs the fallback instead of failing', async () => {
    const { ctx, runner } = context([{ prefix: ['e2fsck'], exitCode: 1 }, { prefix: ['a'], exitCode: 2 }]);
    await expect(runCommand({ argv: ['e2fsck', '/dev/x1'], okCodes: [1], failCode: 'image.fsck_failed' }, ctx)).resolves.toMatchObject({ exitCode: 1 });
    await expect(runCommand({ argv: ['a'], failCode: 'image.fsck_failed', fallback: { argv: ['b'] } }, ctx)).resolves.toMatchObject({ exitCode: 0 });
    expect(runner.take().map((r) => r.line)).toEqual(['e2fsck /dev/x1', 'a', 'b']);
  });
});

describe('commandFailed', () => {
  const result = { argv: ['sgdisk', '--clear', '/dev/x'], exitCode: 2, signal: null, stdout: '', stderr: 'one\ntwo\n', durationMs: 1, failed: true, timedOut: false };

  it('is exec.command_failed unless given a code, which sets its code and status', () => {
    const plain = commandFailed(result);
    expect([plain.code, plain.status, plain.message]).toEqual(['exec.command_failed', 500, 'sgdisk failed (exit 2): one | two']);
    const coded = commandFailed(result, 'image.fsck_failed');
    expect([coded.code, coded.message, coded.details]).toEqual(['image.fsck_failed', plain.message, plain.details]);
  });
});
