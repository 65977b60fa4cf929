/**
 * Plan compilation speed: validate + compile a 24-disk RAID10 + LVM layout with 30 logical volumes against
 * its inventory, many times, and print p50/p99. Target (driver-service issue): compile < 5 ms.
 * Run: npm run bench
 */
import { performance } from 'node:perf_hooks';
import { compileValidated, validatePlan } from '@anvil/shared';

const DISKS = 24;
const LVS = 30;
const RUNS = 300;

function plan(): unknown {
  const disks = Array.from({ length: DISKS }, (_, i) => ({
    id: `d${i}`,
    select: { serial: `SER${String(i).padStart(4, '0')}` },
    partitions: [
      ...(i < 2 ? [{ id: `d${i}-bios`, size: '1MiB', type: 'bios_grub' }, { id: `d${i}-boot`, size: '1GiB', type: 'raid' }] : []),
      { id: `d${i}-md`, size: 'remaining', type: 'raid' },
    ],
  }));
  const lvs = Array.from({ length: LVS }, (_, i) => ({ id: `lv${i}`, name: `lv${i}`, size: i === 0 ? '50GiB' : i === LVS - 1 ? 'remaining' : '2%' }));
  return {
    version: 1,
    disks,
    raids: [
      { id: 'md-boot', level: 1, metadata: '1.0', members: ['d0-boot', 'd1-boot'] },
      { id: 'md-data', level: 10, members: disks.map((d) => `${d.id}-md`) },
    ],
    volume_groups: [{ id: 'vg', name: 'data', pvs: ['md-data'], logical_volumes: lvs }],
    filesystems: [
      { id: 'fs-boot', device: 'md-boot', type: 'ext4', mount: { path: '/boot' } },
      ...lvs.map((lv, i) => ({ id: `fs${i}`, device: lv.id, type: i % 2 ? 'xfs' : 'ext4', mount: { path: i === 0 ? '/' : `/srv/v${i}` } })),
    ],
    bootloader: { firmware: 'bios', targets: ['d0', 'd1'] },
  };
}

const inventory = {
  disks: Array.from({ length: DISKS }, (_, i) => ({ name: `/dev/sd${String.fromCharCode(97 + (i % 26))}${i >= 26 ? i : ''}`, size: 4000787030016, serial: `SER${String(i).padStart(4, '0')}` })),
};

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const p = plan();
const text = JSON.stringify(p, null, 2);
const timesValidate: number[] = [];
const timesCompile: number[] = [];
let actions = 0;
for (let i = 0; i < RUNS + 30; i++) {
  const t0 = performance.now();
  const v = validatePlan(text, { inventory });
  const t1 = performance.now();
  if (!v.report.valid) throw new Error(JSON.stringify(v.report.entries));
  const c = compileValidated(v);
  const t2 = performance.now();
  actions = c.actions.length;
  if (i >= 30) {
    timesValidate.push(t1 - t0);
    timesCompile.push(t2 - t1);
  }
}
const both = timesValidate.map((t, i) => t + timesCompile[i]!).sort((a, b) => a - b);
timesValidate.sort((a, b) => a - b);
timesCompile.sort((a, b) => a - b);
console.log(`plan: ${DISKS} disks, RAID10 + RAID1, ${LVS} LVs, ${actions} actions; ${RUNS} runs after 30 warm-up`);
console.log(`validate (text + inventory): p50 ${pct(timesValidate, 50).toFixed(2)} ms  p99 ${pct(timesValidate, 99).toFixed(2)} ms`);
console.log(`compile:                     p50 ${pct(timesCompile, 50).toFixed(2)} ms  p99 ${pct(timesCompile, 99).toFixed(2)} ms`);
console.log(`validate + compile:          p50 ${pct(both, 50).toFixed(2)} ms  p99 ${pct(both, 99).toFixed(2)} ms  (target: compile < 5 ms)`);
