import { Router } from 'express';
import { AnvilError } from '@anvil/shared';
import { LAYOUT_NAME } from '@anvil/shared/protocol';
import type { LayoutBody } from '../api/types';
import type { ServiceDeps } from '../deps';
import { param } from './params';
import { BODY_LIMITS, jsonTextBody } from './bodies';
import { LayoutChecker } from '../layouts/checker';


export function layoutRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  // Parsing, filling and validating a large layout happen in a worker thread (layouts/checker.ts).
  const checker = new LayoutChecker();
  r.get('/v1/layouts', d.auth.require('read'), async (_req, res) => {
    res.json({ layouts: (await d.repo.layouts()) satisfies LayoutBody[] });
  });
  r.get('/v1/layouts/:name', d.auth.require('read'), async (req, res) => {
    const l = await d.repo.layout(param(req, 'name'));
    if (!l) throw new AnvilError('layout.not_found', `no layout named ${param(req, 'name')}`);
    res.json(l satisfies LayoutBody);
  });
  r.put('/v1/layouts/:name', d.auth.require('write'), jsonTextBody(BODY_LIMITS.layout), async (req, res) => {
    const name = param(req, 'name');
    if (!LAYOUT_NAME.test(name)) throw new AnvilError('layout.bad_name', `layout names are lower-case letters, digits, - and _ (at most 63): ${name}`);
    // The body's text: read with the plan parser, held to the plan's bounds, filled with sample values and
    // validated as a deploy would see it (layouts/check.ts); a 422 carries the entries beside the code.
    const checked = await checker.check(req.body, name);
    if (!checked.ok) throw new AnvilError(checked.refused.code, checked.refused.message, checked.refused.details, checked.refused.status);
    res.json(await d.repo.putLayout({ name, description: checked.layout.description, plan: checked.layout.plan, default: checked.layout.default }));
  });
  r.delete('/v1/layouts/:name', d.auth.require('write'), async (req, res) => {
    if (!(await d.repo.deleteLayout(param(req, 'name')))) throw new AnvilError('layout.not_found', `no layout named ${param(req, 'name')}`);
    res.status(204).end();
  });
  return r;
}
