import { isEspPartition } from '../plan/aliases';
import type { Path } from '../report/report';
import type { PlanModel } from './model';

/** The ESP mount paths: where grub-install looks for the ESP (the validator accepts these, the boot loader honours them). */
export const ESP_PATHS = ['/boot/efi', '/efi', '/boot'] as const;

export interface EspFilesystem {
  /** The filesystem's id. */
  readonly id: string;
  /** Its device's id (an ESP partition, or an array of ESP partitions). */
  readonly device: string;
  readonly mounted: string | undefined;
  readonly path: Path;
  /** The disks it lives on: its partition's disk, or the disks of its array's members. */
  readonly disks: readonly string[];
}

/**
 * The ESP filesystems of a plan, in plan order: vfat on a partition of type `esp`, or on an array built from
 * such partitions. The one mounted at an ESP path is the one grub-install writes (`primaryEsp`); every other
 * one is a copy of it, so each boot disk can boot alone.
 */
export function espFilesystems(model: PlanModel): EspFilesystem[] {
  const diskOf = (id: string): string[] => {
    const n = model.nodes.get(id);
    return n?.kind === 'partition' && isEspPartition(n.obj) ? [n.disk] : [];
  };
  const out: EspFilesystem[] = [];
  (model.plan.filesystems ?? []).forEach((f, i) => {
    if (f.type !== 'vfat') return;
    const dev = model.nodes.get(f.device);
    const disks = dev?.kind === 'raid' ? dev.obj.members.map(diskOf) : [diskOf(f.device)];
    if (disks.length === 0 || disks.some((d) => d.length === 0)) return;
    out.push({ id: f.id, device: f.device, mounted: f.mount?.path, path: ['filesystems', i], disks: disks.flat() });
  });
  return out;
}

export const isEspMount = (path: string | undefined): boolean => path !== undefined && (ESP_PATHS as readonly string[]).includes(path);

/** The ESP grub-install writes: the first mounted at an ESP path (else the first ESP, which the validator flags). */
export function primaryEsp(esps: readonly EspFilesystem[]): EspFilesystem | undefined {
  return esps.find((e) => isEspMount(e.mounted)) ?? esps[0];
}
