import { compilePlan, devicePipes, renderCommand, silentLogger, type Action, type Command, type CompiledPlan } from '@anvil/shared';
import { fillCommand, pipeLookup } from '../../../../agent/src/execute/commands';
import { conditionHolds } from '../../../../agent/src/execute/conditions';
import { executePlan } from '../../../../agent/src/execute/executor';
import { StateStore } from '../../../../agent/src/execute/state';
import { examples } from '../../../helpers/examples';
import { RecordingRunner, recordingIo, type IoCall } from '../../../helpers/recording-runner';

const SIZE = String(16n << 30n);

/** The placeholder values a handler fills, as patterns: a temporary path or a number read from the disk. */
function matches(executed: string, compiled: Command): boolean {
  const names = compiled.fill ?? [];
  const unfilled = renderCommand({ ...compiled, when: undefined, fallback: undefined, okCodes: undefined, appendTo: undefined, after: undefined });
  const pattern = unfilled.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (m, n: string) => (names.includes(n) ? '.+' : m));
  return new RegExp(`^${pattern}$`, 's').test(executed);
}

/** `sfdisk --json` as the disk would answer: the planned partitions where the plan verifies them, else none. */
function sfdisk(compiled: CompiledPlan): (argv: readonly string[]) => string {
  return (argv) => {
    const device = argv[argv.length - 1]!;
    const v = compiled.actions.find((a) => a.kind === 'verify_table' && a.device === device);
    const partitions = v?.kind === 'verify_table' ? v.expected.map((e) => ({ node: `${device}${e.number}`, start: Number(e.startSector), size: Number(e.endSector) - Number(e.startSector) + 1 })) : [];
    return JSON.stringify({ partitiontable: { label: v?.kind === 'verify_table' && v.table === 'msdos' ? 'dos' : 'gpt', device, sectorsize: 512, partitions } });
  };
}

async function run(compiled: CompiledPlan, firmware: 'bios' | 'uefi'): Promise<{ perAction: Map<number, string[]>; io: IoCall[]; skipped: Set<number> }> {
  const runner = new RecordingRunner([
    { prefix: ['sfdisk', '--json'], stdout: sfdisk(compiled) },
    { prefix: ['blockdev', '--getsize64'], stdout: SIZE },
    { prefix: ['blkid', '-p', '-o', 'value', '-s', 'LABEL'], stdout: 'config-2\n' },
    { prefix: ['blkid', '-p', '-o', 'value', '-s', 'UUID'], stdout: '0d6ac1cc-8b1a-4a4e-9d2e-2f7c6f1d2e3a\n' },
  ]);
  const io: IoCall[] = [];
  const perAction = new Map<number, string[]>();
  const skipped = new Set<number>();
  const reporter = {
    emit: (e: { type: string; status?: string; seq?: number; result?: string }): void => {
      if (e.type === 'stage' && e.status === 'end' && e.seq !== undefined && e.result === 'skipped') skipped.add(e.seq);
      if (e.type === 'stage' && e.status === 'end' && e.seq !== undefined) perAction.set(e.seq, runner.take().map((r) => (r.stdin !== undefined ? renderCommand({ argv: r.argv, stdin: r.stdin }) : renderCommand({ argv: r.argv }))));
    },
  };
  await executePlan({ compiled, runner, log: silentLogger(), reporter, state: new StateStore(undefined, 'x'), firmware, resuming: false, io: recordingIo(io) });
  return { perAction, io, skipped };
}

/** What the action promises for this machine: its commands whose conditions hold, in order. */
async function promised(a: Action, firmware: 'bios' | 'uefi'): Promise<Command[]> {
  const env = { firmware, ...recordingIo([]).machine };
  const out: Command[] = [];
  for (const c of a.commands) if (await conditionHolds(c.when, env)) out.push(c);
  return out;
}

describe('handlers run what the compiler printed, and nothing else', () => {
  for (const ex of examples()) {
    for (const firmware of ['bios', 'uefi'] as const) {
      it(`${ex.name} (${firmware})`, async () => {
        const { compiled } = compilePlan(ex.planText, { inventory: ex.inventory });
        const { perAction, io, skipped } = await run(compiled!, firmware);
        const snapshot: string[] = [];
        for (const a of compiled!.actions) {
          const executed = perAction.get(a.seq) ?? [];
          const changing = executed.filter((line) => !(a.probes ?? []).some((p) => matches(line, p)));
          const expected = await promised(a, firmware);
          // A handler that found its effect already there (unmount of what is not mounted) runs nothing.
          if (skipped.has(a.seq)) expect(changing).toEqual([]);
          else expect([a.seq, changing.length]).toEqual([a.seq, expected.length]);
          changing.forEach((line, i) => expect(matches(line, expected[i]!)).toBe(true));
          snapshot.push(`# [${a.seq}] ${a.kind} ${a.id}`, ...executed.map((l) => l.replace(/\/tmp\/anvil-(cdv?)-[A-Za-z0-9]+/g, '/tmp/anvil-$1-X')));
        }
        expect(snapshot.join('\n')).toMatchSnapshot();
        expect(io).toMatchSnapshot();
      });
    }
  }

  it('fills placeholders only with the names a command lists', () => {
    expect(fillCommand({ argv: ['a', '{x}', '{y}'], fill: ['x'] }, { x: 1, y: 2 }).argv).toEqual(['a', '1', '{y}']);
    expect(() => fillCommand({ argv: ['{x}'], fill: ['x'] }, {})).toThrow(/no value for \{x\}/);
  });

  it('decides conditions from the machine', async () => {
    const env = { firmware: 'uefi' as const, ...recordingIo([], { exists: (p: string) => p === '/e' }).machine };
    expect(await conditionHolds({ firmware: 'bios' }, env)).toBe(false);
    expect(await conditionHolds({ firmware: 'uefi', exists: ['/e'] }, env)).toBe(true);
    expect(await conditionHolds({ missing: ['/e'] }, env)).toBe(false);
    expect(await conditionHolds({ table: { device: '/dev/x', label: 'msdos' } }, env)).toBe(false);
    expect(await conditionHolds({ compression: 'xz' }, { ...env, compression: 'zstd' })).toBe(false);
    expect(await conditionHolds({ compression: 'zstd', zstdFrames: 'many' }, { ...env, compression: 'zstd' })).toBe(false);
    expect(await conditionHolds({ compression: 'zstd', zstdFrames: 'many' }, { ...env, compression: 'zstd', zstdFrames: 'many' })).toBe(true);
  });

  it('gives a multi-frame zstd image the declared pzstd where it is installed, and zstd otherwise', async () => {
    const im = { id: 'os', source: { url: 'http://x/os.zst' }, format: 'raw', target: { disk: 'd' } } as const;
    const pipes = devicePipes(im, '/dev/sda');
    const lookup = (installed: boolean) => pipeLookup({ kind: 'write_image', id: 'os', pipes }, { firmware: 'bios', ...recordingIo([], { hasTool: (t: string) => installed || t !== 'pzstd' }).machine });
    expect(await lookup(true)(['pzstd'], {}, { compression: 'zstd', zstdFrames: 'many' })).toEqual(['pzstd', '--decompress', '--stdout', '--quiet']);
    await expect(lookup(true)(['pzstd'], {}, { compression: 'zstd' })).rejects.toMatchObject({ code: 'exec.undeclared_command' });
    await expect(lookup(false)(['pzstd'], {}, { compression: 'zstd', zstdFrames: 'many' })).rejects.toMatchObject({ code: 'exec.undeclared_command' });
    expect(await lookup(false)(['zstd'], {}, { compression: 'zstd', zstdFrames: 'many' })).toEqual(['zstd', '--decompress', '--stdout', '--quiet']);
  });
});
