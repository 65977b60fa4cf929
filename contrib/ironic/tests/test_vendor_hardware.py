import json
import os

import pytest

from ironic.common import exception
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules import noop
from ironic.drivers.modules.redfish import vendor as redfish_vendor
from ironic.drivers.modules import agent

from anvil_ironic import contract
from anvil_ironic import deploy
from anvil_ironic import hardware
from anvil_ironic import vendor

NODE = '1be26c0b-03f2-4d2e-ae87-c02d7f33c123'
DEPLOYMENT = '/v1/deployments/%s' % NODE


def test_status_answers_the_latest_deployment(service, task):
    dep = {'id': 'dep-1', 'state': 'running', 'stage': 'write_image root'}
    service.answers[DEPLOYMENT] = (200, dep)
    assert vendor.AnvilVendor().status(task) == {'node_uuid': NODE, 'deployment': dep}


def test_status_of_a_node_never_deployed(service, task):
    service.answers[DEPLOYMENT] = (404, {'code': 'deployment.not_found', 'message': 'no deployment'})
    assert vendor.AnvilIPMIVendor().status(task) == {'node_uuid': NODE, 'deployment': None}


def test_status_when_the_service_refuses(service, task):
    service.answers[DEPLOYMENT] = (401, {'code': 'auth.required', 'message': 'a token is required'})
    with pytest.raises(exception.VendorPassthruException, match=r'HTTP 401: a token is required \(auth.required\)'):
        vendor.AnvilVendor().status(task)


def test_status_is_a_synchronous_get_that_needs_no_exclusive_lock():
    route = vendor.AnvilVendor().vendor_routes['status']
    assert route['http_methods'] == ['GET']
    assert route['async'] is False
    assert route['require_exclusive_lock'] is False


def test_bmc_vendor_methods_are_kept_beside_status():
    assert sorted(vendor.AnvilIPMIVendor().vendor_routes) == ['bmc_reset', 'send_raw', 'status']
    redfish = set(vendor.AnvilRedfishVendor().vendor_routes)
    assert 'status' in redfish and set(redfish_vendor.RedfishVendorPassthru().vendor_routes) <= redfish


def test_status_needs_no_bmc_and_takes_no_arguments(task):
    v = vendor.AnvilIPMIVendor()
    v.validate(task, 'status', http_method='GET')  # no ipmi_address needed; the conductor passes http_method
    with pytest.raises(exception.InvalidParameterValue, match='takes no arguments'):
        v.validate(task, 'status', foo='1')
    with pytest.raises(exception.InvalidParameterValue, match='Unsupported method'):
        vendor.AnvilVendor().validate(task, 'send_raw')


def test_ipmitool_methods_are_still_validated_by_ipmitool(task):
    task.node.driver_info = {}
    with pytest.raises(exception.MissingParameterValue):
        vendor.AnvilIPMIVendor().validate(task, 'send_raw', raw_bytes='0x00 0x01')


@pytest.mark.parametrize('cls, parent_vendor', [
    (hardware.AnvilIPMIHardware, ipmitool.VendorPassthru),
    (hardware.AnvilRedfishHardware, redfish_vendor.RedfishVendorPassthru),
])
def test_hardware_types_add_anvil_and_keep_the_parents(cls, parent_vendor):
    hw = cls()
    assert hw.supported_deploy_interfaces[0] is deploy.AnvilDeploy
    assert agent.CustomAgentDeploy in hw.supported_deploy_interfaces
    assert hw.supported_vendor_interfaces[1] is vendor.AnvilVendor
    assert parent_vendor in hw.supported_vendor_interfaces
    assert noop.NoVendor in hw.supported_vendor_interfaces
    parent = cls.__mro__[1]()
    assert hw.supported_power_interfaces == parent.supported_power_interfaces
    assert hw.supported_boot_interfaces == parent.supported_boot_interfaces


def test_the_packaged_contract_is_the_generated_one():
    here = os.path.dirname(__file__)
    generated = os.path.join(here, '..', '..', '..', 'docs', 'reference', 'agent-contract.json')
    if not os.path.exists(generated):
        pytest.skip('not in the Anvil repository')
    with open(generated, encoding='utf-8') as f:
        assert contract.load() == json.load(f)
    assert contract.route('validation_route', NODE) == '/v1/nodes/%s/validation' % NODE
    assert 'anvil' in contract.load()['conductor']['deploy_interfaces']
