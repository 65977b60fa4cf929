import { Router } from 'express';
import { AnvilError } from '@anvil/shared';
import { SERVED_FILES, activateBootstrap, bootstrapDirUrl, isBootstrapUuid, listBootstraps, type StoredBootstrap } from '@anvil/shared/bootstrap';
import type { ServiceDeps } from '../deps';
import { repointNodes } from '../nodes/bootstrap';
import { param } from './params';

const view = (b: StoredBootstrap, publicUrl: string): Record<string, unknown> => ({
  uuid: b.uuid,
  label: b.label,
  distro: b.distro,
  format: b.format,
  status: b.status,
  built_at: b.built_at,
  extend_kopts: b.metadata.extend_kopts,
  url: bootstrapDirUrl(publicUrl, b.uuid),
});

/**
 * The bootstrap store, read-only over HTTP (docs/bootstrap.md): the list (operators), the image files (no
 * authentication: a booting ramdisk, iPXE and Ironic's image cache cannot present a token, and the files hold
 * no secrets), and activation (admin), which switches the store's `active` link and re-points every adopted node.
 */
export function bootstrapRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  // Read per request: the configuration is the deps' (tests build the app with partial deps).
  const store = (): string => d.config.bootstrap_store;
  r.get('/v1/bootstraps', d.auth.require('read'), async (_req, res) => {
    res.json({ bootstraps: (await listBootstraps(store())).map((b) => view(b, d.config.public_url)) });
  });
  // express's static file serving (send): Content-Length, Last-Modified, ETag, Range and conditional GETs; HEAD
  // is answered by the same route. Only the three boot files of a uuid directory; never metadata.yaml or a link.
  r.get('/v1/bootstraps/:uuid/:file', (req, res, next) => {
    const uuid = param(req, 'uuid');
    const file = param(req, 'file');
    if (!isBootstrapUuid(uuid) || !SERVED_FILES.includes(file)) {
      next(new AnvilError('bootstrap.not_found', `no bootstrap file ${uuid}/${file} (served: ${SERVED_FILES.join(', ')})`));
      return;
    }
    res.sendFile(`${uuid}/${file}`, { root: store(), dotfiles: 'deny', maxAge: 0, lastModified: true, etag: true }, (err?: Error) => {
      if (!err) return;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || (err as { status?: number }).status === 404) next(new AnvilError('bootstrap.not_found', `the store holds no ${uuid}/${file}`));
      else if (!res.headersSent) next(err);
    });
  });
  r.post('/v1/bootstraps/:uuid/activate', d.auth.require('write'), async (req, res) => {
    const image = await activateBootstrap(store(), param(req, 'uuid'));
    const nodes = await repointNodes(d.ironic, d.repo, d.config, image);
    d.log.info({ bootstrap: image.uuid, nodes: nodes.length, failed: nodes.filter((n) => !n.ok).length }, 'bootstrap activated');
    res.json({ uuid: image.uuid, label: image.label, nodes });
  });
  return r;
}
