"""The ``anvil`` vendor interfaces: ``status`` from the driver-service, beside the BMC's own methods.

``baremetal node passthru call --http-method GET NODE status`` answers the node's current (or last)
deployment as Anvil's driver-service records it: stage, bytes, rate, ETA, the bootstrap image.
``anvil-ipmitool`` and ``anvil-redfish`` keep every method of Ironic's ``ipmitool`` and ``redfish``
vendor interfaces (``send_raw``, ``bmc_reset``, ``eject_vmedia``, event subscriptions, …) and add
``status``; ``anvil`` is ``status`` alone, for any hardware type.
"""

from ironic_lib import metrics_utils

from ironic.common import exception
from ironic.common.i18n import _
from ironic.drivers import base
from ironic.drivers.modules import ipmitool
from ironic.drivers.modules.redfish import vendor as redfish_vendor

from anvil_ironic import client

METRICS = metrics_utils.get_metrics_logger(__name__)

STATUS = 'status'


class StatusMixin(object):
    """The ``status`` passthru method; mixed in before a vendor interface."""

    @METRICS.timer('AnvilVendor.status')
    @base.passthru(['GET'], async_call=False, require_exclusive_lock=False,
                   description=_('The node\'s current or last Anvil '
                                 'deployment: state, stage, step, bytes, '
                                 'rate, ETA, error and bootstrap image, as '
                                 'the driver-service records it.'))
    def status(self, task, **kwargs):
        try:
            dep = client.ServiceClient().deployment(task.node.uuid)
        except client.ServiceError as e:
            raise exception.VendorPassthruException(
                message=_('Anvil status of node %(node)s: %(err)s')
                % {'node': task.node.uuid, 'err': e})
        if dep is None:
            return {'node_uuid': task.node.uuid, 'deployment': None}
        return {'node_uuid': task.node.uuid, 'deployment': dep}

    def _validate_status(self, task, method, **kwargs):
        """True when the method is ``status`` (which needs no BMC access)."""
        if method != STATUS:
            return False
        # The conductor passes the request's http_method; anything else came from the caller.
        extra = sorted(k for k in kwargs if k != 'http_method')
        if extra:
            raise exception.InvalidParameterValue(
                _('The status method takes no arguments (got %s)')
                % ', '.join(extra))
        return True


class AnvilVendor(StatusMixin, base.VendorInterface):
    """``status`` alone."""

    def get_properties(self):
        return {}

    def validate(self, task, method, **kwargs):
        if not self._validate_status(task, method, **kwargs):
            raise exception.InvalidParameterValue(
                _('Unsupported method (%s) passed to the anvil vendor '
                  'interface') % method)


class AnvilIPMIVendor(StatusMixin, ipmitool.VendorPassthru):
    """ipmitool's vendor methods and ``status``."""

    def validate(self, task, method, **kwargs):
        if not self._validate_status(task, method, **kwargs):
            super().validate(task, method, **kwargs)


class AnvilRedfishVendor(StatusMixin, redfish_vendor.RedfishVendorPassthru):
    """Redfish's vendor methods and ``status``."""

    def validate(self, task, method, **kwargs):
        if not self._validate_status(task, method, **kwargs):
            super().validate(task, method, **kwargs)
