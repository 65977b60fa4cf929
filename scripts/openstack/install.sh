#!/usr/bin/env bash
# Installs Debian bookworm's Ironic (21.4, the 2023.1 release), Keystone, Glance, PostgreSQL, Nova, Placement,
# RabbitMQ and Neutron for the integration tests
# (idempotent; root). Nothing is configured or started here: test/helpers/openstack.ts renders its own
# configuration under a temporary directory and runs the single-process `ironic` command.
#
# Maintainer scripts must not start daemons (there is no systemd here): a policy-rc.d that answers 101
# is put in place for the duration of the install, and the debconf questions that would configure a
# database, RabbitMQ or Keystone registration are answered "no".
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# python3-pytest and python3-pip: the conductor plugin (contrib/ironic) is tested with Debian's pytest and installed with Debian's pip.
# ironic-inspector: the agent's inventory reaches it on `baremetal node inspect` (test/integration/ironic-inspector.test.ts).
# Nova (Zed) with its Ironic driver, Placement, RabbitMQ and Neutron (ML2 with networking-baremetal's ironic-neutron-agent):
# a server created on a bare-metal flavor deploys through Anvil (test/integration/nova.test.ts).
PKGS=(ironic-api ironic-conductor keystone glance-api postgresql python3-pytest python3-pip ironic-inspector
  nova-api nova-conductor nova-scheduler nova-compute-ironic placement-api rabbitmq-server neutron-server ironic-neutron-agent)
missing=()
for p in "${PKGS[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "openstack: $(dpkg-query -W -f='ironic ${Version}' python3-ironic), $(dpkg-query -W -f='keystone ${Version}' python3-keystone)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "openstack: missing ${missing[*]} (run as root to install them)" >&2
  exit 1
fi

own_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  own_policy=1
fi
trap '[ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT

debconf-set-selections <<'SEL'
ironic-common ironic/configure_db boolean false
ironic-common ironic/configure_rabbit boolean false
ironic-common ironic/configure_ksat boolean false
ironic-api ironic/configure_api-endpoint boolean false
keystone keystone/configure_db boolean false
keystone keystone/create-admin-tenant boolean false
keystone keystone/register-endpoint boolean false
glance-common glance/configure_db boolean false
glance-common glance/configure_rabbit boolean false
glance-common glance/configure_ksat boolean false
glance-api glance/configure_api-endpoint boolean false
ironic-inspector ironic-inspector/configure_db boolean false
ironic-inspector ironic-inspector/configure_rabbit boolean false
ironic-inspector ironic-inspector/configure_ksat boolean false
ironic-inspector ironic-inspector/configure_api-endpoint boolean false
nova-common nova/configure_db boolean false
nova-common nova/configure_rabbit boolean false
nova-common nova/configure_ksat boolean false
nova-common nova/configure_neutron boolean false
nova-common nova/configure_placement boolean false
nova-api nova/configure_api-endpoint boolean false
nova-api novaapi/configure_db boolean false
placement-common placement/configure_db boolean false
placement-common placement/configure_ksat boolean false
placement-api placement/configure_api-endpoint boolean false
neutron-common neutron/configure_db boolean false
neutron-common neutron/configure_rabbit boolean false
neutron-common neutron/configure_ksat boolean false
neutron-common neutron/configure_nova boolean false
neutron-api neutron/configure_api-endpoint boolean false
SEL

policy=$(apt-cache policy ironic-api 2>/dev/null || true)
if [[ "$policy" != *"Candidate: 1:21"* ]]; then
  apt-get update -o DPkg::Lock::Timeout=900
fi
apt-get install -y -o DPkg::Lock::Timeout=900 --no-install-recommends "${PKGS[@]}"
echo "openstack: installed $(dpkg-query -W -f='ironic ${Version}' python3-ironic), $(dpkg-query -W -f='keystone ${Version}' python3-keystone)"
