/**
 * `--activate`: the integration point with the bootstrap store (import/list/activate/delete), which another
 * part of Anvil owns. The builder returns the archive's path; when the store is present, the CLI wiring
 * passes its `importArchive(path, { activate: true })` here. Until then --activate is accepted and the
 * command says how to import the archive.
 */
export type ImportArchive = (path: string, options: { activate: boolean }) => Promise<unknown>;

let storeImport: ImportArchive | undefined;

/** INTEGRATION POINT: the store registers its import function (e.g. from its own CLI module) here. */
export function setBootstrapImporter(fn: ImportArchive | undefined): void {
  storeImport = fn;
}

export function bootstrapImporter(): ImportArchive | undefined {
  return storeImport;
}
