import { ProgressEvent, ProgressReport, PROGRESS_BATCH_MAX } from '@anvil/shared/protocol';
import { RateMeter } from '../../../../agent/src/report/events';

describe('progress events on the wire', () => {
  it('are snake_case, as Ironic is: duration_ms, rate_bps, eta_seconds', () => {
    const events: ProgressEvent[] = [
      { type: 'stage', seq: 1, total: 2, kind: 'write_image', id: 'os', status: 'start' },
      { type: 'progress', seq: 1, id: 'os', bytes: 10, total: 20, rate_bps: 5, eta_seconds: 2 },
      { type: 'stage', seq: 1, total: 2, kind: 'write_image', id: 'os', status: 'end', result: 'ok', duration_ms: 1200 },
      { type: 'done', result: 'failed', duration_ms: 3000, error: { code: 'x.y', message: 'broke' } },
    ];
    expect(ProgressReport.parse({ events })).toEqual({ events });
  });

  it('refuse the old camelCase names and a stage end without its result', () => {
    expect(ProgressEvent.safeParse({ type: 'progress', seq: 1, id: 'os', bytes: 1, rateBps: 5 }).success).toBe(false);
    expect(ProgressEvent.safeParse({ type: 'done', result: 'ok', durationMs: 1 }).success).toBe(false);
    expect(ProgressEvent.safeParse({ type: 'stage', seq: 1, total: 1, kind: 'k', id: 'i', status: 'end' }).success).toBe(false);
  });

  it('strip fields a newer agent may add, and bound a batch', () => {
    expect(ProgressEvent.parse({ type: 'done', result: 'ok', duration_ms: 1, extra: true })).toEqual({ type: 'done', result: 'ok', duration_ms: 1 });
    const many = Array.from({ length: PROGRESS_BATCH_MAX + 1 }, () => ({ type: 'done', result: 'ok', duration_ms: 1 }));
    expect(ProgressReport.safeParse({ events: many }).success).toBe(false);
    expect(ProgressReport.safeParse({ events: [], more: 1 }).success).toBe(false);
  });

  it('the agent’s rate meter gives the wire names', () => {
    expect(Object.keys(new RateMeter().update(0, 100)).sort()).toEqual(['rate_bps']);
  });
});
