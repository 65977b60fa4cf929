import type { Request } from 'express';
import { AnvilError } from '@anvil/shared';

/** A path parameter (express types them loosely once middleware sits in front of a handler). */
export function param(req: Request, name: string): string {
  const v = req.params[name] as unknown;
  return typeof v === 'string' ? v : '';
}

/** What Ironic takes as a node's name (RFC 3986 unreserved characters) or its uuid. */
const NODE_IDENT = /^[A-Za-z0-9._~-]{1,255}$/;

/**
 * The `:node` of a route, checked before it goes into an Ironic URL: `.` and `..` would walk up Ironic's API
 * (`GET /v1/nodes/..` is `GET /v1/`), and nothing Ironic could not name a node is sent at all.
 */
export function nodeIdent(req: Request): string {
  const v = param(req, 'node');
  if (!NODE_IDENT.test(v) || v === '.' || v === '..') throw new AnvilError('request.invalid', `not a node uuid or name: ${JSON.stringify(v.slice(0, 64))}${v.length > 64 ? '…' : ''}`);
  return v;
}
