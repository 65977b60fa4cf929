"""Options of the ``[anvil]`` section of ironic.conf.

Besides these, the section takes keystoneauth1's session, auth and adapter options, as Ironic's
sections for its other services do: ``timeout`` (seconds per request to the driver-service; 10 when
unset), ``cafile``/``insecure`` for an HTTPS service, and ``auth_type`` with its options for a service
behind Keystone.
"""

# Seconds per request to the driver-service when [anvil]timeout (keystoneauth's session option) is unset.
DEFAULT_TIMEOUT = 10

from oslo_config import cfg

from ironic.common.i18n import _
from ironic.conf import auth

GROUP = 'anvil'

opts = [
    cfg.URIOpt('service_url',
               schemes=('http', 'https'),
               help=_('The URL of Anvil\'s driver-service, e.g. '
                      'http://anvil.example.com:8080. When the [anvil] '
                      'section has keystone credentials (auth_type and '
                      'its options), requests carry a token.')),
    cfg.BoolOpt('validate_layout',
                default=True,
                help=_('Whether validate() asks the driver-service if the '
                       'node\'s layout fits the node. With False only the '
                       'custom-agent checks run.')),
    cfg.BoolOpt('progress_summary',
                default=True,
                help=_('Whether each heartbeat during a deploy stores a '
                       'short progress summary from the driver-service in '
                       'driver_internal_info.anvil_progress.')),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)
    auth.register_auth_opts(conf, GROUP)


def list_opts():
    """The options for oslo-config-generator (entry point oslo.config.opts)."""
    return [(GROUP, auth.add_auth_opts(opts))]


register_opts(cfg.CONF)
