"""The short progress summary a node carries in driver_internal_info during a deploy."""

KEY = 'anvil_progress'


def summary(deployment):
    """What ``baremetal node show`` displays of a Deployment (contract.json, $defs/Deployment)."""
    out = {
        'deployment': deployment.get('id'),
        'state': deployment.get('state'),
        'stage': deployment.get('stage'),
        'updated_at': deployment.get('updated_at'),
    }
    step, steps = deployment.get('step'), deployment.get('steps')
    if step is not None and steps:
        out['step'] = '%d/%d' % (step, steps)
    done, total = deployment.get('bytes'), deployment.get('bytes_total')
    if done is not None and total:
        out['percent'] = int(100 * done / total)
    if deployment.get('rate_bps') is not None:
        out['rate_mib_s'] = round(deployment['rate_bps'] / 1048576.0, 1)
    if deployment.get('eta_seconds') is not None:
        out['eta_seconds'] = deployment['eta_seconds']
    if deployment.get('error'):
        out['error'] = deployment['error'][:500]
    if deployment.get('bootstrap_uuid'):
        out['bootstrap_uuid'] = deployment['bootstrap_uuid']
    return out
