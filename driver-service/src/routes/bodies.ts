import express, { type RequestHandler } from 'express';
import { AnvilError, parseSource } from '@anvil/shared';

/**
 * What each route may receive, in bytes. No body is read before the route has authorised the request, and none
 * beyond what the route needs: a client without the right token or capability cannot make the service hold or
 * parse megabytes (docs/driver-service.md lists these).
 */
export const BODY_LIMITS = {
  /** `POST /v1/nodes/{node}/adopt`: `{ "layout": name }`. */
  adopt: 4 * 1024,
  /** `POST /v1/bootstraps/{uuid}/activate`: no body. */
  activate: 1024,
  /** A progress report: up to PROGRESS_BATCH_MAX events of a few hundred bytes. */
  progress: 1024 * 1024,
  /** `PUT /v1/layouts/{name}`: a plan (at most its own size limit) with a description. */
  layout: 2 * 1024 * 1024,
} as const;

/** A JSON body of at most `limit` bytes (413 `request.too_large` beyond). */
export function jsonBody(limit: number): RequestHandler {
  return express.json({ limit });
}

/** A JSON body as text, at most `limit` bytes (413 `request.too_large` beyond), for a parser of the route's own. */
export function jsonTextBody(limit: number): RequestHandler {
  return express.text({ type: ['application/json', 'application/*+json'], limit });
}

/**
 * JSON text read with the plan parser (shared/src/validate/source.ts), so the service and `anvil plan validate`
 * agree: a duplicate key is an error on both (`plan.duplicate_key`), a parse error points at its line, and nesting
 * beyond the plan's bound is `plan.too_deep` before any recursive parser runs. Returns the data, or throws 400
 * `request.invalid` (not JSON) or 422 `layout.invalid` (a duplicate key, too deep) with the parser's entries.
 */
export function parseStrictJson(text: unknown): unknown {
  if (typeof text !== 'string' || !/^\s*\{/.test(text)) throw new AnvilError('request.invalid', 'the body must be a JSON object (Content-Type: application/json)');
  const doc = parseSource(text);
  const errors = doc.errors.filter((e) => e.severity === 'error');
  if (errors.length) {
    const entries = errors.map((e) => ({ severity: e.severity, code: e.code, pointer: e.pointer, message: e.message, ...(e.line !== undefined ? { line: e.line, column: e.column } : {}) }));
    const first = errors[0]!;
    const where = first.line !== undefined ? ` at line ${first.line}` : '';
    // Not JSON at all is a bad request; JSON with a key twice is JSON no plan may be (the CLI's rule).
    if (errors.some((e) => e.code === 'plan.parse_error')) throw new AnvilError('request.invalid', `the body is not JSON${where}: ${first.message}`, { entries });
    throw new AnvilError('layout.invalid', `the body holds ${first.code}${where}: ${first.message}`, { entries });
  }
  return doc.data;
}

/** A JSON body read by parseStrictJson: the data in `req.body`, or its error. */
export function strictJsonBody(limit: number): RequestHandler[] {
  const parse: RequestHandler = (req, _res, next) => {
    try {
      req.body = parseStrictJson(req.body);
      next();
    } catch (err) {
      next(err);
    }
  };
  return [jsonTextBody(limit), parse];
}
