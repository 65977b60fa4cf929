import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { guestScript, prepareVm, runVm, VM_DIR, type VmRun } from '../helpers/vm';

/**
 * The whole point of a deploy: the machine boots from its disk afterwards. The agent deploys a small OS
 * (scripts/vm/build-os-image.sh) onto RAID1 /boot + LVM-on-RAID1 root and installs GRUB for BIOS on both
 * disks; then the VM is started again without the ramdisk, SeaBIOS boots disk0, and the deployed kernel's
 * initramfs prints a marker with its command line.
 */
function prepareOs(): void {
  prepareVm();
  execFileSync('bash', [join(__dirname, '../../scripts/vm/build-os-image.sh')], { env: { ...process.env, OUT: VM_DIR }, stdio: 'inherit' });
}

const plan = {
  version: 1,
  metadata: { deployment_id: 'boot-bios-1' },
  disks: [0, 1].map((i) => ({
    id: `d${i}`,
    select: { serial: `anvil-disk${i}` },
    partitions: [
      { id: `d${i}-bios`, size: '1MiB', type: 'bios_grub' },
      { id: `d${i}-boot`, size: '256MiB', type: 'raid' },
      { id: `d${i}-pv`, size: 'remaining', type: 'raid' },
    ],
  })),
  raids: [
    { id: 'md-boot', name: 'boot', level: 1, metadata: '1.0', members: ['d0-boot', 'd1-boot'] },
    { id: 'md-sys', name: 'sys', level: 1, members: ['d0-pv', 'd1-pv'] },
  ],
  volume_groups: [{ id: 'vg', name: 'sys', pvs: ['md-sys'], logical_volumes: [{ id: 'lv-root', name: 'root', size: '512MiB' }, { id: 'lv-swap', name: 'swap', size: '64MiB' }] }],
  filesystems: [
    { id: 'fs-boot', device: 'md-boot', type: 'ext4', mount: { path: '/boot' } },
    { id: 'fs-root', device: 'lv-root', type: 'ext4', mount: { path: '/' } },
    { id: 'fs-swap', device: 'lv-swap', type: 'swap' },
  ],
  images: [{ id: 'os', source: { file: '/opt/anvil/os.tar.zst' }, format: 'tar', target: { path: '/' } }],
  bootloader: { firmware: 'bios', targets: ['d0', 'd1'], kernel_params: ['anvil.marker=deployed'] },
};

describe('agent in a VM: GRUB for BIOS on RAID1 + LVM, then the machine boots from its disk', () => {
  const disks = mkdtempSync(join(tmpdir(), 'anvil-vm-bootdisks-'));
  let deploy: VmRun;
  let boot: VmRun;

  beforeAll(async () => {
    prepareOs();
    deploy = await runVm('deploy-bios', { disks: [1024, 1024], diskDir: disks, files: { 'plan.json': JSON.stringify(plan), 'os.tar.zst': { path: join(VM_DIR, 'os.tar.zst') }, 'run.sh': guestScript(['plan.json']) } });
    if (deploy.rc === 0) boot = await runVm('boot-bios', { disks: [1024, 1024], diskDir: disks, boot: 'disk', timeoutSeconds: 300 });
  });
  afterAll(() => rmSync(disks, { recursive: true, force: true }));

  it('deploys, installing GRUB on both disks', () => {
    if (deploy.rc !== 0) throw new Error(`deploy failed (rc ${String(deploy.rc)}):\n${deploy.console.slice(-6000)}`);
    const events = deploy.out['events-0']!.trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; status?: string; result?: string });
    expect(events.find((e) => e.kind === 'install_bootloader' && e.status === 'end')).toMatchObject({ result: 'ok' });
  });

  it('boots from disk through GRUB into the deployed kernel, with the plan’s kernel parameters and the LVM root', () => {
    expect(boot?.console ?? '').toMatch(/ANVIL-BOOTED-FROM-DISK cmdline=.*root=\/dev\/mapper\/sys-root.*anvil\.marker=deployed/);
  });
});

const uefiPlan = {
  version: 1,
  metadata: { deployment_id: 'boot-uefi-1' },
  disks: [
    {
      id: 'd0',
      select: { serial: 'anvil-disk0' },
      partitions: [
        { id: 'esp', size: '64MiB', type: 'esp' },
        { id: 'root', size: 'remaining' },
      ],
    },
  ],
  filesystems: [
    // The ESP at /efi (systemd's place for it; /boot/efi is the unit snapshots' case): grub-install and the
    // NVRAM entry use the ESP where the plan mounts it.
    { id: 'fs-esp', device: 'esp', type: 'vfat', label: 'EFI', mount: { path: '/efi' } },
    { id: 'fs-root', device: 'root', type: 'ext4', mount: { path: '/' } },
  ],
  images: [{ id: 'os', source: { file: '/opt/anvil/os.tar.zst' }, format: 'tar', target: { path: '/' } }],
  bootloader: { firmware: 'uefi', targets: ['d0'], kernel_params: ['anvil.marker=uefi'] },
};

describe('agent in a VM: GRUB for UEFI on an ESP mounted at /efi, then OVMF boots the disk', () => {
  const disks = mkdtempSync(join(tmpdir(), 'anvil-vm-uefidisks-'));
  let deploy: VmRun;
  let boot: VmRun | undefined;

  beforeAll(async () => {
    prepareOs();
    deploy = await runVm('deploy-uefi', { disks: [768], diskDir: disks, files: { 'plan.json': JSON.stringify(uefiPlan), 'os.tar.zst': { path: join(VM_DIR, 'os.tar.zst') }, 'run.sh': guestScript(['plan.json'], 'uefi') } });
    if (deploy.rc === 0) boot = await runVm('boot-uefi', { disks: [768], diskDir: disks, boot: 'disk', firmware: 'uefi', timeoutSeconds: 300 });
  });
  afterAll(() => rmSync(disks, { recursive: true, force: true }));

  it('deploys with grub-install for x86_64-efi into the ESP at /efi', () => {
    if (deploy.rc !== 0) throw new Error(`deploy failed (rc ${String(deploy.rc)}):\n${deploy.console.slice(-6000)}`);
    const events = deploy.out['events-0']!.trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; status?: string; result?: string });
    expect(events.find((e) => e.kind === 'install_bootloader' && e.status === 'end')).toMatchObject({ result: 'ok' });
  });

  it('boots from the ESP’s removable path into the deployed kernel', () => {
    // root by UUID, not by a kernel name that may change between boots
    expect(boot?.console ?? '').toMatch(/ANVIL-BOOTED-FROM-DISK cmdline=.*root=UUID=[0-9a-f-]{36} .*anvil\.marker=uefi/);
  });
});
