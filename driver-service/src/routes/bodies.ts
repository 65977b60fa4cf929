import express, { type RequestHandler } from 'express';
import { parseStrictJson } from '../plan/strict-json';

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


/** A JSON body read by parseStrictJson (plan/strict-json.ts): the data in `req.body`, or its error. */
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
