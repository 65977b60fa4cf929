import { Router } from 'express';
import { z } from 'zod';
import { AnvilError, validatePlan } from '@anvil/shared';
import type { LayoutBody } from '../api/types';
import type { ServiceDeps } from '../deps';
import { param } from './params';
import { fillLayout, SAMPLE_VALUES } from '../plan/fill';
import { BODY_LIMITS, strictJsonBody } from './bodies';

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LayoutWrite = z.strictObject({ description: z.string().optional(), plan: z.record(z.string(), z.unknown()), default: z.boolean().optional() });

export function layoutRoutes(d: ServiceDeps): Router {
  const r = Router({ caseSensitive: true });
  r.get('/v1/layouts', d.auth.require('read'), async (_req, res) => {
    res.json({ layouts: (await d.repo.layouts()) satisfies LayoutBody[] });
  });
  r.get('/v1/layouts/:name', d.auth.require('read'), async (req, res) => {
    const l = await d.repo.layout(param(req, 'name'));
    if (!l) throw new AnvilError('layout.not_found', `no layout named ${param(req, 'name')}`);
    res.json(l satisfies LayoutBody);
  });
  r.put('/v1/layouts/:name', d.auth.require('write'), ...strictJsonBody(BODY_LIMITS.layout), async (req, res) => {
    const name = param(req, 'name');
    if (!NAME.test(name)) throw new AnvilError('layout.bad_name', `layout names are lower-case letters, digits, - and _ (at most 63): ${name}`);
    const body = LayoutWrite.safeParse(req.body);
    if (!body.success) throw new AnvilError('request.invalid', `layout: ${body.error.issues[0]?.path.join('.') ?? ''} ${body.error.issues[0]?.message ?? ''}`);
    // Validated as a deploy would see it, with sample values in the placeholders.
    const sample = fillLayout(body.data.plan, SAMPLE_VALUES, { nodeUuid: '00000000-0000-4000-8000-000000000000', deploymentId: 'validation', layout: name });
    const report = validatePlan(JSON.stringify(sample)).report;
    if (!report.valid) {
      // 422 with the entries beside the code (the error handler lifts them out of details).
      const entries = report.entries.map((e) => ({ severity: e.severity, code: e.code, pointer: e.pointer, message: e.message }));
      throw new AnvilError('layout.invalid', `layout ${name} is not a valid plan`, { entries });
    }
    res.json(await d.repo.putLayout({ name, description: body.data.description, plan: body.data.plan, default: body.data.default ?? false }));
  });
  r.delete('/v1/layouts/:name', d.auth.require('write'), async (req, res) => {
    if (!(await d.repo.deleteLayout(param(req, 'name')))) throw new AnvilError('layout.not_found', `no layout named ${param(req, 'name')}`);
    res.status(204).end();
  });
  return r;
}
