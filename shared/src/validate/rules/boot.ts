import { espFilesystems, isEspMount, primaryEsp } from '../../model/esp';
import { isBiosGrubPartition } from '../../plan/aliases';
import type { RuleContext } from './context';

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
  const esps = espFilesystems(model);
  // The ESP grub-install writes is the mounted one; the others are copies of it (one per boot disk, so each can boot).
  const mountedEsps = esps.filter((e) => isEspMount(e.mounted));
  const esp = primaryEsp(esps);
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
  if (esp && firmware !== 'bios' && !isEspMount(esp.mounted)) {
    rb.add('boot.esp_not_mounted', [...esp.path, 'mount'], `the ESP "${esp.id}" should be mounted at /boot/efi`);
  }
  for (const extra of mountedEsps.slice(1)) {
    rb.add('boot.esp_mounted_twice', [...extra.path, 'mount'], `"${extra.id}" is a second ESP mounted at ${extra.mounted ?? ''}; mount one ESP ("${mountedEsps[0]!.id}"): the boot loader step copies it to the others`);
  }
  if (esp && firmware !== 'bios' && uefiNeeded) {
    const withEsp = new Set(esps.flatMap((e) => e.disks));
    bl.targets.forEach((t, k) => {
      const n = model.nodes.get(t);
      if (n?.kind === 'disk' && !wholeDiskTargets.has(t) && !withEsp.has(t)) {
        rb.add('boot.target_without_esp', ['bootloader', 'targets', k], `UEFI firmware boots only a disk with an ESP: "${t}" has none, so the machine cannot boot from it if the others fail; give it an esp partition with a vfat filesystem (not mounted: it becomes a copy of "${esp.id}")`);
      }
    });
  }
}
