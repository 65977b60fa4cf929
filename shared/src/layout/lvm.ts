import { alignUp, ceilDiv, MiB } from '../size/units';

/** LVM places the first extent at 1 MiB unless a larger metadata area is asked for. */
export function peStart(pvMetadataBytes: bigint | undefined): bigint {
  if (pvMetadataBytes === undefined) return MiB;
  // The label and header take the first 4 KiB; data starts on the next MiB boundary.
  return alignUp(pvMetadataBytes + 4096n, MiB);
}

export function pvExtents(pvBytes: bigint, extent: bigint, pvMetadataBytes: bigint | undefined): bigint {
  const usable = pvBytes - peStart(pvMetadataBytes);
  return usable > 0n ? usable / extent : 0n;
}

/**
 * Extents a thin pool takes besides its data: the metadata LV (64 bytes per 64 KiB chunk, at least
 * 2 MiB, at most 16 GiB) and the spare metadata LV lvm keeps for repairs.
 */
export function thinPoolOverheadExtents(dataBytes: bigint, extent: bigint): bigint {
  let meta = (dataBytes / (64n * 1024n)) * 64n;
  if (meta < 2n * MiB) meta = 2n * MiB;
  const max = 16n * 1024n * MiB;
  if (meta > max) meta = max;
  return 2n * ceilDiv(meta, extent);
}
