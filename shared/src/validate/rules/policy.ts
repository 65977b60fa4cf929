import { dataPolicy, isKept } from '../../model/policy';
import type { Path } from '../../report/report';
import type { RuleContext } from './context';

export function checkPolicy(ctx: RuleContext): void {
  const { plan, model, rb } = ctx;
  const policy = dataPolicy(plan);
  for (const node of model.nodes.values()) {
    if (!('keep' in node.obj) || node.obj.keep === undefined) continue;
    const keep = node.obj.keep;
    const path: Path = [...node.path, 'keep'];
    if (keep && policy === 'clean') {
      rb.add('policy.keep_requires_verify', path, `"${node.id}" is marked keep, but policy.data "clean" recreates everything named; set policy.data to "verify"`);
    }
    if (!keep && node.kind === 'filesystem' && isKept(model, node.obj.device)) {
      rb.add('policy.keep_conflict', path, `"${node.id}" says keep: false but it lives on kept data; it cannot be recreated without destroying it`);
    }
  }
  if (policy === 'verify') {
    if (plan.policy?.wipe !== undefined && plan.policy.wipe !== 'none') {
      rb.add('policy.wipe_with_verify', ['policy', 'wipe'], `policy.data "verify" keeps the layout; wipe "${plan.policy.wipe}" would destroy it`);
    }
    plan.disks.forEach((d, i) => {
      if (d.wipe !== undefined && d.wipe !== 'none') rb.add('policy.wipe_with_verify', ['disks', i, 'wipe'], `policy.data "verify" keeps the layout; wipe "${d.wipe}" would destroy it`);
    });
  }
  const keptMounts = (plan.filesystems ?? []).filter((f) => f.mount && isKept(model, f.id)).map((f) => f.mount!.path);
  (plan.filesystems ?? []).forEach((f, i) => {
    const path = f.mount?.path;
    if (path !== undefined && !isKept(model, f.id)) {
      const parent = keptMounts.find((k) => k !== path && (k === '/' ? path.startsWith('/') : path.startsWith(`${k}/`)));
      if (parent !== undefined) rb.add('mount.under_kept', ['filesystems', i, 'mount', 'path'], `"${path}" is inside the kept filesystem at "${parent}", which is not mounted while deploying`);
    }
    if (f.mount?.path === '/' && isKept(model, f.id) && plan.bootloader) {
      rb.add('boot.root_kept', ['bootloader'], `the root filesystem "${f.id}" is kept, so the boot loader cannot be installed into it`);
    }
  });
  (plan.filesystems ?? []).forEach((f, i) => {
    if (!isKept(model, f.id)) return;
    const opts = (['label', 'uuid', 'mkfs_options'] as const).filter((k) => f[k] !== undefined);
    if (opts.length) rb.add('fs.option_on_kept', ['filesystems', i, opts[0]!], `"${f.id}" is kept, so ${opts.join(', ')} will not be applied`);
  });
}
