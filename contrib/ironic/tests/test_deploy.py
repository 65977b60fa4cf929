from unittest import mock

import pytest

from ironic.common import exception
from ironic.common import states
from ironic.drivers.modules import agent

from anvil_ironic import deploy
from anvil_ironic import progress

from tests.conftest import FakeNode

NODE = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'
VALIDATION = '/v1/nodes/%s/validation' % NODE
DEPLOYMENT = '/v1/deployments/%s' % NODE


def verdict(**kw):
    v = {'node_uuid': NODE, 'layout': 'raid1', 'via': 'driver_info.anvil_layout',
         'capability': 'current', 'inventory': None, 'valid': True, 'entries': []}
    v.update(kw)
    return v


def error(code, pointer, message):
    return {'severity': 'error', 'code': code, 'pointer': pointer, 'message': message}


@pytest.fixture(autouse=True)
def no_custom_agent_checks():
    # custom-agent's own checks (boot interface, capabilities, root device hints) are Ironic's, not ours.
    with mock.patch.object(agent.CustomAgentDeploy, 'validate', autospec=True) as m:
        yield m


def test_validate_passes_when_the_service_says_the_plan_fits(service, task, no_custom_agent_checks):
    service.answers[VALIDATION] = (200, verdict())
    deploy.AnvilDeploy().validate(task)
    assert no_custom_agent_checks.called
    assert [p for p, _ in service.seen] == [VALIDATION]


def test_validate_shows_the_validators_codes_and_pointers(service, task):
    errs = [error('size.does_not_fit', '/volume_groups/0/logical_volumes', 'logical volumes of "vg" need 64.06 GiB but it has 1.67 GiB'),
            error('ref.unresolved', '/raids/0/members/1', 'no disk d9'),
            error('disk.not_found', '/disks/1', 'no disk matches'),
            error('disk.not_found', '/disks/2', 'no disk matches')]
    service.answers[VALIDATION] = (200, verdict(valid=False, entries=errs, inventory={'source': 'agent', 'reported_at': '2026-12-02T14:00:00Z', 'disks': 2}))
    with pytest.raises(exception.InvalidParameterValue) as e:
        deploy.AnvilDeploy().validate(task)
    msg = str(e.value)
    assert 'Anvil layout raid1 (driver_info.anvil_layout) does not fit node %s' % NODE in msg
    assert 'its 2 disks as its agent reported them at 2026-12-02T14:00:00Z' in msg
    assert 'size.does_not_fit at /volume_groups/0/logical_volumes: logical volumes of "vg" need 64.06 GiB' in msg
    assert '(and 1 more)' in msg
    assert '/disks/2' not in msg


def test_validate_logs_warnings_but_passes(service, task):
    service.answers[VALIDATION] = (200, verdict(entries=[{'severity': 'warning', 'code': 'boot.target_without_esp', 'pointer': '/boot', 'message': 'no ESP on d1'}]))
    with mock.patch.object(deploy.LOG, 'warning') as warn:
        deploy.AnvilDeploy().validate(task)
    assert 'boot.target_without_esp at /boot: no ESP on d1' in warn.call_args[0][1]['w']


def test_validate_refuses_a_capability_the_service_did_not_issue(service, task):
    service.answers[VALIDATION] = (200, verdict(capability='stale', valid=False))
    with pytest.raises(exception.InvalidParameterValue, match='is stale: the driver-service did not issue it'):
        deploy.AnvilDeploy().validate(task)


def test_validate_says_what_the_service_refused_with_its_code(service, task):
    service.answers[VALIDATION] = (404, {'code': 'node.not_found', 'message': 'the service has not adopted node %s' % NODE})
    with pytest.raises(exception.InvalidParameterValue, match=r'answered HTTP 404: the service has not adopted node .* \(node.not_found\)'):
        deploy.AnvilDeploy().validate(task)


def test_validate_needs_the_metadata_url_before_asking(service, task):
    task.node.driver_info = {}
    with pytest.raises(exception.MissingParameterValue, match='anvil node adopt'):
        deploy.AnvilDeploy().validate(task)
    assert service.seen == []


def test_validate_fails_clearly_when_the_service_is_down(task):
    from oslo_config import cfg
    cfg.CONF.set_override('service_url', 'http://127.0.0.1:9', group='anvil')
    try:
        with pytest.raises(exception.InvalidParameterValue, match='cannot reach http://127.0.0.1:9'):
            deploy.AnvilDeploy().validate(task)
    finally:
        cfg.CONF.clear_override('service_url', group='anvil')


def test_validate_without_a_service_url_says_which_option(task):
    with pytest.raises(exception.MissingParameterValue, match=r'\[anvil\]service_url'):
        deploy.AnvilDeploy().validate(task)


def test_validate_layout_false_skips_the_service(service, task):
    from oslo_config import cfg
    cfg.CONF.set_override('validate_layout', False, group='anvil')
    try:
        deploy.AnvilDeploy().validate(task)
    finally:
        cfg.CONF.clear_override('validate_layout', group='anvil')
    assert service.seen == []


RUNNING = {'id': 'dep-1', 'node_uuid': NODE, 'layout': 'raid1', 'state': 'running', 'stage': 'write_image root',
           'step': 5, 'steps': 12, 'bytes': 536870912, 'bytes_total': 2147483648, 'rate_bps': 115343360,
           'eta_seconds': 14, 'error': None, 'bootstrap_uuid': 'd5f0b13d-5e55-43af-aeda-a958733fc2d4',
           'started_at': '2026-12-02T14:00:00Z', 'updated_at': '2026-12-02T14:00:09Z', 'closed_at': None}


def heartbeat(task):
    with mock.patch.object(agent.CustomAgentDeploy, 'heartbeat', autospec=True) as parent:
        deploy.AnvilDeploy().heartbeat(task, 'http://10.0.0.5:9999', '1.0.0')
    return parent


def test_heartbeat_during_a_deploy_keeps_a_progress_summary(service, task):
    task.node.provision_state = states.DEPLOYWAIT
    service.answers[DEPLOYMENT] = (200, RUNNING)
    stale = task.node
    reloaded = FakeNode(provision_state=states.DEPLOYWAIT)

    def reserve(retry=True):
        # As Ironic's TaskManager does: the exclusive lock comes with the node read again.
        task.node = reloaded
    task.upgrade_lock.side_effect = reserve
    parent = heartbeat(task)
    assert parent.called
    assert progress.KEY not in stale.driver_internal_info and stale.saved == 0
    assert task.node.driver_internal_info[progress.KEY] == {
        'deployment': 'dep-1', 'state': 'running', 'stage': 'write_image root', 'updated_at': '2026-12-02T14:00:09Z',
        'step': '5/12', 'percent': 25, 'rate_mib_s': 110.0, 'eta_seconds': 14,
        'bootstrap_uuid': 'd5f0b13d-5e55-43af-aeda-a958733fc2d4'}
    assert task.node.saved == 1
    assert task.upgrade_lock.called
    # The same summary again is not written again.
    heartbeat(task)
    assert task.node.saved == 1


def test_heartbeat_ignores_the_last_deploys_closed_record(service, task):
    task.node.provision_state = states.DEPLOYWAIT
    service.answers[DEPLOYMENT] = (200, dict(RUNNING, state='succeeded', closed_at='2026-12-01T10:00:00Z'))
    heartbeat(task)
    assert progress.KEY not in task.node.driver_internal_info


def test_heartbeat_outside_a_deploy_asks_nothing(service, task):
    task.node.provision_state = states.CLEANWAIT
    parent = heartbeat(task)
    assert parent.called
    assert service.seen == []


def test_heartbeat_survives_a_service_that_is_down(task):
    from oslo_config import cfg
    cfg.CONF.set_override('service_url', 'http://127.0.0.1:9', group='anvil')
    task.node.provision_state = states.DEPLOYWAIT
    try:
        parent = heartbeat(task)
    finally:
        cfg.CONF.clear_override('service_url', group='anvil')
    assert parent.called
    assert progress.KEY not in task.node.driver_internal_info


def test_heartbeat_on_a_locked_node_skips_the_summary(service, task):
    task.node.provision_state = states.DEPLOYWAIT
    service.answers[DEPLOYMENT] = (200, RUNNING)
    task.upgrade_lock.side_effect = exception.NodeLocked(node=NODE, host='c1')
    parent = heartbeat(task)
    assert parent.called
    assert task.node.saved == 0


def test_a_new_deploy_drops_the_last_summary(task):
    task.node.provision_state = states.DEPLOYING
    task.node.driver_internal_info[progress.KEY] = {'state': 'failed'}
    with mock.patch.object(agent.CustomAgentDeploy, 'prepare', autospec=True) as parent:
        deploy.AnvilDeploy().prepare(task)
    assert parent.called
    assert progress.KEY not in task.node.driver_internal_info
    assert task.node.saved == 1


def test_properties_document_the_driver_info_keys():
    props = deploy.AnvilDeploy().get_properties()
    assert 'Required; written by the driver-service' in props['anvil_metadata_url']
    assert props['anvil_layout'].endswith('Optional.')
    assert 'deploy_forces_oob_reboot' in props  # custom-agent's own are kept


class Template(object):
    def __init__(self, name, steps):
        self.name = name
        self.steps = steps


def test_validate_asks_about_the_layout_a_deploy_template_chooses(service, task):
    task.node.instance_info = {'traits': ['CUSTOM_GPU', 'CUSTOM_ANVIL_RAID10']}
    service.answers[VALIDATION + '?layout=raid10'] = (200, verdict(layout='raid10', via='the deploy step argument layout'))
    templates = [Template('CUSTOM_GPU', [{'interface': 'bios', 'step': 'apply_configuration', 'args': {}, 'priority': 150}]),
                 Template('CUSTOM_ANVIL_RAID10', [{'interface': 'deploy', 'step': 'anvil_provision', 'args': {'layout': 'raid10'}, 'priority': 80}])]
    from ironic import objects
    with mock.patch.object(objects.DeployTemplate, 'list_by_names', autospec=True, return_value=templates) as listed:
        deploy.AnvilDeploy().validate(task)
    assert listed.call_args[0][1] == ['CUSTOM_GPU', 'CUSTOM_ANVIL_RAID10']
    assert [p for p, _ in service.seen] == [VALIDATION + '?layout=raid10']


def test_no_traits_asked_means_no_template_lookup(task):
    task.node.instance_info = {}
    assert deploy.template_layout(task) is None
