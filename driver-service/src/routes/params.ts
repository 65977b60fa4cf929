import type { Request } from 'express';

/** A path parameter (express types them loosely once middleware sits in front of a handler). */
export function param(req: Request, name: string): string {
  const v = req.params[name] as unknown;
  return typeof v === 'string' ? v : '';
}
