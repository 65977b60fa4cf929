"""Anvil's conductor plugin for OpenStack Ironic.

The ``anvil`` deploy interface runs Anvil's agent the way ``custom-agent`` does and asks Anvil's
driver-service, at ``baremetal node validate`` and at the start of every deploy, whether the node's
layout fits the node. The ``anvil-ipmi`` and ``anvil-redfish`` hardware types are Ironic's ``ipmi`` and
``redfish`` with the ``anvil`` deploy and vendor interfaces added (Ironic accepts an interface only from
a hardware type that lists its class).
"""
