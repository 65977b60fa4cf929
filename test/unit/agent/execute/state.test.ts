import { compilePlan } from '@anvil/shared';
import { planHash } from '../../../../agent/src/execute/state';
import { examples } from '../../../helpers/examples';

describe('the resume state belongs to one compiled plan', () => {
  it('changes when only the image checksum changes (an image replaced behind the same URL cannot be resumed onto)', () => {
    const ex = examples().find((e) => e.name === 'keep-srv')!;
    const plan = JSON.parse(ex.planText) as { images: Array<{ checksum?: string }> };
    const a = compilePlan(plan, { inventory: ex.inventory }).compiled!;
    plan.images[0]!.checksum = `sha256:${'0'.repeat(64)}`;
    const b = compilePlan(plan, { inventory: ex.inventory }).compiled!;
    expect(planHash(a)).not.toBe(planHash(b));
    expect(planHash(a)).toBe(planHash(compilePlan(JSON.parse(ex.planText), { inventory: ex.inventory }).compiled!));
  });
});
