import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { LRUCache } from 'lru-cache';
import { AnvilError } from '@anvil/shared';
import type { ServiceDeps } from '../deps';

const WINDOW_MS = 60_000;

/** Node ids as they may be written to the audit log and the service log: bounded, whatever a client sends. */
export function auditNodeId(id: string): string {
  return id.length <= 64 ? id : `${id.slice(0, 61)}...`;
}

export const sourceOf = (req: Request): string => req.socket.remoteAddress ?? 'unknown';

/**
 * Capability guessing, bounded (express-rate-limit, in memory): every refused request (403 wrong secret, 404 unknown
 * node) counts against its source address; past `capability_failures_per_minute` in a minute the source is answered
 * 429 `capability.rate_limited` before any database read, and one audit record per source and minute says so
 * instead of one per guess. A request with the right capability never counts, so an agent is never slowed by
 * its own traffic. The count is per process (worker, replica): N of them allow N times the rate.
 */
export function capabilityGuard(d: Pick<ServiceDeps, 'config' | 'writer' | 'log'>): RequestHandler {
  const audited = new LRUCache<string, true>({ max: 10_000, ttl: WINDOW_MS });
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: d.config.capability_failures_per_minute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // IPv6 sources by their /56, so one host cannot walk its own prefix for fresh counts.
    keyGenerator: (req) => ipKeyGenerator(sourceOf(req)),
    requestWasSuccessful: (_req, res) => res.statusCode !== 403 && res.statusCode !== 404,
    skipSuccessfulRequests: true,
    handler: (req, _res, next) => {
      const source = sourceOf(req);
      const node = auditNodeId(typeof req.params.node === 'string' ? req.params.node : '');
      if (!audited.has(source)) {
        audited.set(source, true);
        d.writer.audit(node, source, 'capability', `rate limited: more than ${d.config.capability_failures_per_minute} refused capabilities in a minute from ${source}`);
        d.log.warn({ source, node_uuid: node }, 'capability guessing rate-limited');
      }
      next(new AnvilError('capability.rate_limited', `too many refused capabilities from ${source}; try again in a minute`, {}, 429));
    },
  });
}
