import { isBiosGrubPartition, isEspPartition } from '../../plan/aliases';
import type { Path } from '../../report/report';
import type { RuleContext } from './context';

const ESP_MOUNTS = ['/boot/efi', '/efi', '/boot'];

/** The ESP filesystem: vfat on an ESP partition, or on an array built from ESP partitions. */
function findEsp(ctx: RuleContext): { id: string; mounted: string | undefined; path: Path } | undefined {
  const { plan, model } = ctx;
  const espParts = new Set<string>();
  for (const n of model.nodes.values()) if (n.kind === 'partition' && isEspPartition(n.obj)) espParts.add(n.id);
  let found: { id: string; mounted: string | undefined; path: Path } | undefined;
  (plan.filesystems ?? []).forEach((f, i) => {
    if (found || f.type !== 'vfat') return;
    const dev = model.nodes.get(f.device);
    const onEsp =
      espParts.has(f.device) || (dev?.kind === 'raid' && dev.obj.members.length > 0 && dev.obj.members.every((m) => espParts.has(m)));
    if (onEsp) found = { id: f.id, mounted: f.mount?.path, path: ['filesystems', i] };
  });
  return found;
}

export function checkBoot(ctx: RuleContext): void {
  const { plan, model, rb } = ctx;
  const bl = plan.bootloader;
  if (!bl) return;
  const wholeDiskTargets = new Set((plan.images ?? []).flatMap((im) => (im.target.disk !== undefined ? [im.target.disk] : [])));
  const hasRoot = (plan.filesystems ?? []).some((f) => f.mount?.path === '/');
  if (!hasRoot) {
    rb.add('boot.no_root', ['bootloader'], wholeDiskTargets.size > 0 ? 'whole-disk images bring their own boot loader; drop `bootloader` or mount a root filesystem' : 'there is no root filesystem to install the boot loader into');
  }
  const firmware = bl.firmware ?? 'auto';
  const biosMissing: Array<{ k: number; disk: string }> = [];
  bl.targets.forEach((t, k) => {
    const n = model.nodes.get(t);
    if (n?.kind !== 'disk' || wholeDiskTargets.has(t)) return;
    const table = n.obj.table ?? 'gpt';
    if (table === 'gpt' && !(n.obj.partitions ?? []).some((p) => isBiosGrubPartition(p))) biosMissing.push({ k, disk: t });
    if (table === 'none') biosMissing.push({ k, disk: t });
  });
  const esp = findEsp(ctx);
  const uefiNeeded = wholeDiskTargets.size === 0;
  const reportBios = (): void =>
    biosMissing.forEach(({ k, disk }) => rb.add('boot.bios_grub_missing', ['bootloader', 'targets', k], `GRUB for BIOS on GPT disk "${disk}" needs a partition of type "bios_grub" (1 MiB)`));
  const reportEsp = (): void => rb.add('boot.esp_missing', ['bootloader', 'firmware'], 'UEFI boot needs a vfat filesystem on a partition of type "esp"');
  if (firmware === 'bios') reportBios();
  if (firmware === 'uefi' && uefiNeeded && !esp) reportEsp();
  if (firmware === 'auto' && uefiNeeded) {
    if (!esp && biosMissing.length > 0) {
      reportBios();
      reportEsp();
    } else if (!esp || biosMissing.length > 0) {
      rb.add('boot.auto_partial', ['bootloader', 'firmware'], !esp ? 'firmware "auto" will fail on UEFI machines: no ESP' : `firmware "auto" will fail on BIOS machines: no bios_grub partition on ${biosMissing.map((b) => `"${b.disk}"`).join(', ')}`);
    }
  }
  if (esp && firmware !== 'bios' && (esp.mounted === undefined || !ESP_MOUNTS.includes(esp.mounted))) {
    rb.add('boot.esp_not_mounted', [...esp.path, 'mount'], `the ESP "${esp.id}" should be mounted at /boot/efi`);
  }
}
