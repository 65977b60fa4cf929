"""``anvil-ipmi`` and ``anvil-redfish``: Ironic's ipmi and redfish types with Anvil's interfaces added.

Ironic accepts an interface for a node only when its hardware type lists that exact class
(ironic/common/driver_factory.py), so an out-of-tree deploy interface needs hardware types of its own.
Everything else is the parent type's, in the parent's order: a node keeps its power, management,
console and boot interfaces when its driver changes from ``ipmi`` to ``anvil-ipmi``.
"""

from ironic.drivers import ipmi
from ironic.drivers import redfish

from anvil_ironic import deploy
from anvil_ironic import vendor


class AnvilIPMIHardware(ipmi.IPMIHardware):
    """IPMI hardware deployed with Anvil."""

    @property
    def supported_deploy_interfaces(self):
        return [deploy.AnvilDeploy] + super().supported_deploy_interfaces

    @property
    def supported_vendor_interfaces(self):
        return ([vendor.AnvilIPMIVendor, vendor.AnvilVendor]
                + super().supported_vendor_interfaces)


class AnvilRedfishHardware(redfish.RedfishHardware):
    """Redfish hardware deployed with Anvil."""

    @property
    def supported_deploy_interfaces(self):
        return [deploy.AnvilDeploy] + super().supported_deploy_interfaces

    @property
    def supported_vendor_interfaces(self):
        return ([vendor.AnvilRedfishVendor, vendor.AnvilVendor]
                + super().supported_vendor_interfaces)
