"""A client of Anvil's driver-service, for the conductor.

Requests go through a keystoneauth1 session loaded from the ``[anvil]`` section, as Ironic loads its
clients of Glance or Neutron: with keystone credentials there (``auth_type`` and its options) they carry
a token; without, they go unauthenticated (a service run with ``auth: none``).
"""

from urllib import parse

from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
from oslo_log import log

from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import keystone

from anvil_ironic import conf as anvil_conf
from anvil_ironic import contract

CONF = cfg.CONF
LOG = log.getLogger(__name__)


class ServiceError(exception.IronicException):
    """The driver-service could not be asked, or refused with a code."""

    _msg_fmt = _('Anvil driver-service: %(reason)s')

    def __init__(self, message=None, code=None, status=None, **kwargs):
        self.code = code
        self.status = status
        super().__init__(message, **kwargs)


def _session():
    group = anvil_conf.GROUP
    auth = None
    if CONF[group].auth_type:
        auth = keystone.get_auth(group)
    return keystone.get_session(group, auth=auth)


class ServiceClient(object):
    """The routes of the driver-service a conductor uses (contract.json)."""

    def __init__(self, url=None, session=None, timeout=None):
        self.url = (url or CONF.anvil.service_url or '').rstrip('/')
        if not self.url:
            raise exception.MissingParameterValue(
                _('[anvil]service_url is not set in ironic.conf: the anvil '
                  'deploy interface needs the driver-service\'s URL'))
        self.session = session or _session()
        self.timeout = timeout or CONF.anvil.timeout or anvil_conf.DEFAULT_TIMEOUT

    def _get(self, path, params=None):
        url = self.url + path
        if params:
            url += '?' + parse.urlencode(params)
        try:
            resp = self.session.get(url, raise_exc=False,
                                    timeout=self.timeout,
                                    headers={'Accept': 'application/json'})
        except ks_exc.ClientException as e:
            raise ServiceError(_('cannot reach %(url)s: %(err)s')
                               % {'url': url, 'err': e})
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code == 200 and isinstance(body, dict):
            return body
        code = body.get('code') if isinstance(body, dict) else None
        message = body.get('message') if isinstance(body, dict) else None
        raise ServiceError(
            _('%(url)s answered HTTP %(status)s: %(msg)s (%(code)s)')
            % {'url': url, 'status': resp.status_code,
               'msg': message or resp.text[:200], 'code': code or '-'},
            code=code, status=resp.status_code)

    def validation(self, node, layout=None):
        """Whether the node's next deploy would get a plan that fits it.

        :param layout: the layout a deploy template's step argument chooses.
        """
        return self._get(contract.route('validation_route', node),
                         {'layout': layout} if layout else None)

    def deployment(self, node):
        """The node's latest deployment, or None when it has none."""
        try:
            return self._get(contract.route('deployment_route', node))
        except ServiceError as e:
            if e.code == 'deployment.not_found':
                return None
            raise
