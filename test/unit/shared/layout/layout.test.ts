import { gptUsable, layoutDisk, MiB, GiB, ReportBuilder, type DiskT } from '@anvil/shared';

const geo = (size: bigint, sector = 512n) => ({ size, logicalSector: sector, physicalSector: sector });
const diskOf = (partitions: DiskT['partitions'], extra: Partial<DiskT> = {}): DiskT => ({ id: 'd', select: { name: 'sda' }, partitions, ...extra });

describe('partition layout', () => {
  it('knows the GPT header and backup overheads for 512 and 4096-byte sectors', () => {
    expect(gptUsable(1000n, 512n)).toEqual({ first: 34n, last: 966n });
    expect(gptUsable(1000n, 4096n)).toEqual({ first: 6n, last: 994n });
  });

  it('aligns starts to 1 MiB and gives "remaining" everything up to the last usable sector', () => {
    const rb = new ReportBuilder();
    const l = layoutDisk(diskOf([{ id: 'a', size: '100MiB' }, { id: 'b', size: 'remaining' }]), ['disks', 0], geo(GiB), undefined, rb)!;
    expect(rb.entries).toEqual([]);
    expect(l.partitions.map((p) => [p.id, p.number, p.start, p.end])).toEqual([
      ['a', 1, 2048n, 2048n + 204800n - 1n],
      ['b', 2, 206848n, GiB / 512n - 34n],
    ]);
  });

  it('leaves room for partitions after a "remaining" one', () => {
    const rb = new ReportBuilder();
    const l = layoutDisk(diskOf([{ id: 'a', size: 'remaining' }, { id: 'b', size: '100MiB' }]), [], geo(GiB), undefined, rb)!;
    const [a, b] = l.partitions;
    expect(b!.start).toBe(a!.end + 1n);
    expect(b!.end - b!.start + 1n).toBe(204800n);
    expect(b!.end).toBeLessThanOrEqual(GiB / 512n - 34n);
  });

  it('works in 4096-byte sectors', () => {
    const rb = new ReportBuilder();
    const l = layoutDisk(diskOf([{ id: 'a', size: '1MiB' }, { id: 'b', size: '50%' }]), [], geo(GiB, 4096n), undefined, rb)!;
    expect(l.partitions[0]).toMatchObject({ start: 256n, end: 511n });
    expect(l.partitions[1]!.start).toBe(512n);
    expect(l.partitions[1]!.start % 256n).toBe(0n);
  });

  it('reserves the config drive at the end of the disk, aligned', () => {
    const rb = new ReportBuilder();
    const l = layoutDisk(diskOf([{ id: 'a', size: 'remaining' }]), [], geo(GiB), 64n * MiB, rb)!;
    const cd = l.partitions.find((p) => p.role === 'configdrive')!;
    expect(cd.number).toBe(2);
    expect((cd.end - cd.start + 1n) * 512n).toBe(64n * MiB);
    expect(cd.start % 2048n).toBe(0n);
    expect(cd.end).toBeLessThanOrEqual(l.lastUsable);
    expect(l.partitions[0]!.end).toBe(cd.start - 1n);
  });

  it('numbers MBR primaries 1-4 and logicals from 5, each logical behind its EBR', () => {
    const rb = new ReportBuilder();
    const disk = diskOf(
      [
        { id: 'p1', size: '100MiB' },
        { id: 'ext', size: 'remaining', kind: 'extended', logical: [{ id: 'l1', size: '100MiB' }, { id: 'l2', size: 'remaining' }] },
      ],
      { table: 'msdos' },
    );
    const l = layoutDisk(disk, [], geo(GiB), undefined, rb)!;
    expect(rb.entries).toEqual([]);
    const byId = Object.fromEntries(l.partitions.map((p) => [p.id, p]));
    expect(byId.p1!.number).toBe(1);
    expect(byId.ext!.number).toBe(2);
    expect(byId.l1!.number).toBe(5);
    expect(byId.l2!.number).toBe(6);
    expect(byId.l1!.start).toBeGreaterThan(byId.ext!.start);
    expect(byId.l2!.start).toBeGreaterThan(byId.l1!.end + 1n); // room for the EBR
    expect(byId.l2!.end).toBe(byId.ext!.end);
    expect(byId.ext!.end).toBe(GiB / 512n - 1n);
  });

  it('reports what does not fit instead of placing it', () => {
    const rb = new ReportBuilder();
    const l = layoutDisk(diskOf([{ id: 'a', size: '900MiB' }, { id: 'b', size: '200MiB' }]), ['disks', 0], geo(GiB), undefined, rb)!;
    expect(rb.entries.map((e) => [e.code, e.pointer])).toEqual([['size.does_not_fit', '/disks/0/partitions/1/size']]);
    expect(l.partitions.map((p) => p.id)).toEqual(['a']);
  });
});
