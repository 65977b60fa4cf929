"""The ``anvil`` deploy interface: custom-agent, with Anvil's driver-service asked before a deploy."""

from ironic_lib import metrics_utils
from oslo_config import cfg
from oslo_log import log

from ironic.common import exception
from ironic.common.i18n import _
from ironic.common import states
from ironic.drivers.modules import agent
from ironic import objects

from anvil_ironic import client
from anvil_ironic import contract
from anvil_ironic import progress

CONF = cfg.CONF
LOG = log.getLogger(__name__)
METRICS = metrics_utils.get_metrics_logger(__name__)

# How many of the validator's errors validate() shows; the rest are counted.
SHOWN_ERRORS = 3
# The progress summary is best effort: a heartbeat never waits long for it.
SUMMARY_TIMEOUT = 3


# The agent's deploy step and the argument that names a layout (contract.json, agent.deploy_steps).
PROVISION_STEP = 'anvil_provision'
LAYOUT_ARG = 'layout'


def template_layout(task):
    """The layout a deploy template gives the agent's step, or None.

    Ironic applies the deploy templates named by instance_info/traits; one that
    sets the ``layout`` argument of deploy.anvil_provision chooses the layout,
    so validate() asks about that one. (Ironic refuses templates that give
    the same step twice, so there is at most one.)
    """
    traits = task.node.instance_info.get('traits') or []
    if not isinstance(traits, list) or not traits:
        return None
    for template in objects.DeployTemplate.list_by_names(task.context,
                                                         traits):
        for step in template.steps:
            if (step.get('interface') == 'deploy'
                    and step.get('step') == PROVISION_STEP
                    and (step.get('args') or {}).get(LAYOUT_ARG)):
                return step['args'][LAYOUT_ARG]
    return None


def _format_entry(entry):
    return '%s at %s: %s' % (entry.get('code'), entry.get('pointer') or '/',
                             entry.get('message'))


class AnvilDeploy(agent.CustomAgentDeploy):
    """Deploys with Anvil's agent (its in-band step deploy.anvil_provision).

    Everything custom-agent does, and:

    * validate() asks the driver-service whether the node is adopted and
      whether the plan its next deploy would get fits the disks its agent
      last reported, so ``baremetal node validate`` and the start of a
      deploy show the validator's own codes and JSON pointers;
    * every heartbeat during a deploy stores a short progress summary in
      ``driver_internal_info.anvil_progress``.
    """

    def get_properties(self):
        props = dict(agent.COMMON_PROPERTIES)
        for key, meaning in contract.driver_info_keys().items():
            if key == contract.metadata_url_key():
                props[key] = _('%s Required; written by the driver-service '
                               'when it adopts the node.') % meaning
            else:
                props[key] = _('%s Optional.') % meaning
        return props

    @METRICS.timer('AnvilDeploy.validate')
    def validate(self, task):
        super().validate(task)
        node = task.node
        key = contract.metadata_url_key()
        if not node.driver_info.get(key):
            raise exception.MissingParameterValue(
                _('Node %(node)s has no driver_info/%(key)s: adopt it with '
                  'Anvil\'s driver-service (anvil node adopt %(node)s)')
                % {'node': node.uuid, 'key': key})
        if not CONF.anvil.validate_layout:
            return
        try:
            verdict = client.ServiceClient().validation(
                node.uuid, layout=template_layout(task))
        except client.ServiceError as e:
            raise exception.InvalidParameterValue(
                _('Anvil cannot validate node %(node)s: %(err)s')
                % {'node': node.uuid, 'err': e})
        entries = verdict.get('entries') or []
        for w in (e for e in entries if e.get('severity') == 'warning'):
            LOG.warning('Anvil layout %(layout)s of node %(node)s: %(w)s',
                        {'layout': verdict.get('layout'), 'node': node.uuid,
                         'w': _format_entry(w)})
        if verdict.get('capability') != 'current':
            raise exception.InvalidParameterValue(
                _('driver_info/%(key)s of node %(node)s is %(state)s: the '
                  'driver-service did not issue it; adopt the node again '
                  '(anvil node adopt %(node)s)')
                % {'key': key, 'node': node.uuid,
                   'state': verdict.get('capability')})
        errors = [e for e in entries if e.get('severity') == 'error']
        if not errors:
            return
        shown = '; '.join(_format_entry(e) for e in errors[:SHOWN_ERRORS])
        if len(errors) > SHOWN_ERRORS:
            shown += _(' (and %d more)') % (len(errors) - SHOWN_ERRORS)
        inventory = verdict.get('inventory')
        against = ''
        if inventory:
            n = inventory['disks']
            against = (_(' (its %(n)d %(disks)s as its agent reported them at '
                         '%(at)s)')
                       % {'n': n, 'disks': _('disk') if n == 1 else _('disks'),
                          'at': inventory['reported_at']})
        raise exception.InvalidParameterValue(
            _('Anvil layout %(layout)s (%(via)s) does not fit node '
              '%(node)s%(against)s: %(errors)s')
            % {'layout': verdict.get('layout'), 'via': verdict.get('via'),
               'node': node.uuid, 'against': against, 'errors': shown})

    @METRICS.timer('AnvilDeploy.heartbeat')
    def heartbeat(self, task, callback_url, agent_version,
                  agent_verify_ca=None, agent_status=None,
                  agent_status_message=None):
        # Before the heartbeat is processed: the heartbeat that finds the
        # agent's step done moves the node on, and the summary should say
        # how the deploy ended.
        if CONF.anvil.progress_summary:
            self._record_progress(task)
        return super().heartbeat(
            task, callback_url, agent_version,
            agent_verify_ca=agent_verify_ca, agent_status=agent_status,
            agent_status_message=agent_status_message)

    def _record_progress(self, task):
        node = task.node
        if node.provision_state not in (states.DEPLOYWAIT, states.DEPLOYING):
            return
        try:
            dep = client.ServiceClient(timeout=SUMMARY_TIMEOUT).deployment(
                node.uuid)
        except (client.ServiceError, exception.MissingParameterValue) as e:
            LOG.debug('No Anvil progress for node %(node)s: %(err)s',
                      {'node': node.uuid, 'err': e})
            return
        # The latest deployment is this deploy's only once the agent fetched
        # its plan; before that it is the last one, already closed.
        if not dep or dep.get('closed_at'):
            LOG.debug('No Anvil deployment of node %s has begun yet',
                      node.uuid)
            return
        summary = progress.summary(dep)
        if node.driver_internal_info.get(progress.KEY) == summary:
            LOG.debug('Anvil progress of node %s unchanged', node.uuid)
            return
        try:
            task.upgrade_lock(retry=False)
        except exception.NodeLocked:
            LOG.debug('Node %s is locked; its Anvil progress waits for the '
                      'next heartbeat', node.uuid)
            return
        # Upgrading the lock reloads the node: the object read before is stale,
        # and the heartbeat saves the new one after this.
        node = task.node
        node.set_driver_internal_info(progress.KEY, summary)
        node.save()
        LOG.debug('Anvil progress of node %(node)s: %(summary)s',
                  {'node': node.uuid, 'summary': summary})

    @METRICS.timer('AnvilDeploy.prepare')
    def prepare(self, task):
        # A new deploy does not show the last one's progress.
        node = task.node
        if (node.provision_state == states.DEPLOYING
                and progress.KEY in node.driver_internal_info):
            node.del_driver_internal_info(progress.KEY)
            node.save()
        return super().prepare(task)
