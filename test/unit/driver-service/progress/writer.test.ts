import { silentLogger } from '@anvil/shared';
import { DeploymentTracker } from '../../../../driver-service/src/progress/tracker';
import { ProgressWriter } from '../../../../driver-service/src/progress/writer';
import type { DeploymentT } from '../../../../driver-service/src/store/repository';
import { useServiceStore } from '../../../helpers/service-store';

const progress = (seq: number, bytes: number) => ({ type: 'progress' as const, seq, id: 'os', bytes, total: 1000, rate_bps: 10 });

describe('the progress writer', () => {
  const store = useServiceStore();

  it('answers nothing itself: reports are written at the flush, in order, and watchers are told after', async () => {
    const tracker = new DeploymentTracker(store.repo);
    const counted: Record<string, number> = {};
    const writer = new ProgressWriter(tracker, silentLogger(), { flushMs: 60_000, counted: (outcome, n) => void (counted[outcome] = (counted[outcome] ?? 0) + n) });
    const d = await tracker.begin('writer-node', 'a');
    const seen: DeploymentT[] = [];
    const unsubscribe = tracker.subscribe('writer-node', (x) => seen.push(x));

    writer.report('writer-node', [{ type: 'stage', status: 'start', kind: 'image', id: 'os', seq: 3, total: 7 }]);
    writer.report('writer-node', [progress(1, 100)], 'boot-1');
    writer.report('writer-node', [progress(2, 200)]);
    writer.report('no-deployment-node', [progress(1, 1)]);
    writer.audit('writer-node', '127.0.0.1', 'plan', 'served layout a');
    // Queued only: the database and the watchers know nothing yet.
    expect((await store.repo.latestDeployment('writer-node'))!.bytes).toBeNull();
    expect(seen).toHaveLength(0);

    await writer.flush();
    const after = (await store.repo.latestDeployment('writer-node'))!;
    expect(after).toMatchObject({ id: d.id, state: 'running', stage: 'image os', step: 3, steps: 7, bytes: 200, bytes_total: 1000, bootstrap_uuid: 'boot-1' });
    expect((await store.repo.node('writer-node'))?.bootstrap_uuid ?? null).toBeNull(); // not adopted: no node row to mark
    expect(seen).toEqual([after]); // one change, told once committed
    expect(counted).toEqual({ recorded: 3, 'no deployment': 1 });
    expect(await store.repo.auditFor('writer-node')).toEqual([expect.objectContaining({ source: '127.0.0.1', action: 'plan', outcome: 'served layout a' })]);
    unsubscribe();
  });

  it('writes many nodes in several transactions, and stop() writes what is still queued', async () => {
    const tracker = new DeploymentTracker(store.repo);
    const writer = new ProgressWriter(tracker, silentLogger(), { flushMs: 60_000, perTransaction: 7 });
    const nodes = Array.from({ length: 30 }, (_, i) => `many-${i}`);
    for (const n of nodes) await tracker.begin(n, 'a');
    nodes.forEach((n, i) => writer.report(n, [progress(1, i)]));
    await writer.stop();
    const bytes = await Promise.all(nodes.map(async (n) => (await store.repo.latestDeployment(n))!.bytes));
    expect(bytes).toEqual(nodes.map((_, i) => i));
  });

  it('a failed write is put back once, before what came since', async () => {
    const tracker = new DeploymentTracker(store.repo);
    const writer = new ProgressWriter(tracker, silentLogger(), { flushMs: 60_000 });
    await tracker.begin('retry-node', 'a');
    const real = tracker.applyAll.bind(tracker);
    const spy = jest.spyOn(tracker, 'applyAll').mockRejectedValueOnce(new Error('database is locked'));
    writer.report('retry-node', [progress(1, 10)]);
    writer.audit('retry-node', undefined, 'progress', 'refused: wrong capability');
    await writer.flush();
    expect((await store.repo.latestDeployment('retry-node'))!.bytes).toBeNull();
    writer.report('retry-node', [progress(2, 20)]);
    spy.mockImplementation(real);
    await writer.flush();
    expect((await store.repo.latestDeployment('retry-node'))!.bytes).toBe(20);
    expect(spy.mock.calls.at(-1)![0]).toEqual([expect.objectContaining({ events: [progress(1, 10), progress(2, 20)] })]);
    expect(await store.repo.auditFor('retry-node')).toHaveLength(1);
  });
});
