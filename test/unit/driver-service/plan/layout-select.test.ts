import { IronicNode } from '@anvil/shared/openstack';
import { selectLayout } from '../../../../driver-service/src/plan/layout-select';
import { useServiceStore } from '../../../helpers/service-store';

describe('choosing the layout', () => {
  const store = useServiceStore();
  const node = (fields: Record<string, unknown>) => IronicNode.parse({ uuid: 'n', driver: 'fake-hardware', provision_state: 'wait call-back', ...fields });


  it('step argument > instance_info > driver_info > Glance image property > trait asked for > default', async () => {
    expect(await selectLayout(node({ instance_info: { anvil_layout: 'a' } }), store.repo, undefined, undefined, 'b')).toMatchObject({ layout: { name: 'b' }, via: 'the deploy step argument layout' });
    expect((await selectLayout(node({ instance_info: { anvil_layout: 'a' }, driver_info: { anvil_layout: 'b' } }), store.repo)).layout.name).toBe('a');
    const asked = { traits: ['CUSTOM_ANVIL_FROM_TRAIT'] };
    expect((await selectLayout(node({ driver_info: { anvil_layout: 'b' }, instance_info: asked }), store.repo, undefined, { id: 'i', anvil_layout: 'from-image' })).layout.name).toBe('b');
    expect(await selectLayout(node({ instance_info: asked }), store.repo, undefined, { id: 'i', anvil_layout: 'from-image' })).toMatchObject({ layout: { name: 'from-image' }, via: 'Glance image i property anvil_layout' });
    expect(await selectLayout(node({ instance_info: { traits: ['CUSTOM_GPU', 'CUSTOM_ANVIL_FROM_TRAIT'] } }), store.repo)).toMatchObject({ layout: { name: 'from-trait' }, via: 'trait CUSTOM_ANVIL_FROM_TRAIT in instance_info.traits' });
    // A trait the node has but the deploy did not ask for chooses nothing (Nova asks through instance_info.traits).
    expect((await selectLayout(node({ traits: ['CUSTOM_ANVIL_FROM_TRAIT'], instance_info: { traits: ['CUSTOM_GPU'] } }), store.repo)).layout.name).toBe('fallback');
    await expect(selectLayout(node({}), store.repo, undefined, undefined, 'gone')).rejects.toMatchObject({ code: 'metadata.layout_missing' });
    expect(await selectLayout(node({}), store.repo)).toMatchObject({ layout: { name: 'fallback' }, via: 'the service default' });
    await expect(selectLayout(node({ instance_info: { anvil_layout: 'gone' } }), store.repo)).rejects.toMatchObject({ code: 'metadata.layout_missing' });
  });
});
