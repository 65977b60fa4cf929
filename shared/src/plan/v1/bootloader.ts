import { z } from 'zod';
import { Ref } from './common';

export const Bootloader = z
  .strictObject({
    type: z.literal('grub').optional().describe('Only `grub` for now.'),
    firmware: z.enum(['bios', 'uefi', 'auto']).optional().describe('Default `auto`: UEFI when the machine booted the agent by UEFI.'),
    targets: z.array(Ref).min(1).describe('Disks to install the boot loader on (every member of a mirrored /boot).'),
    kernel_params: z.array(z.string()).optional().describe('Appended to `GRUB_CMDLINE_LINUX` in `/etc/default/grub`.'),
  })
  .describe('Boot loader installed inside the deployed system.');

export type BootloaderT = z.infer<typeof Bootloader>;
