import { parseCapabilityUrl } from './capability';

/**
 * A URL as it may appear in logs, messages and collected log bundles. The one rule for all of Anvil:
 * user info removed (it is a password), the query hidden (signed URLs carry their signature there),
 * the fragment dropped, and the secret of a capability URL (`…/v1/metadata/{node}/{secret}`) hidden.
 * Text that is not a URL is not shown at all: it may be a secret given in the wrong place.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<url>';
  }
  u.username = '';
  u.password = '';
  u.hash = '';
  const query = u.search ? '?…' : '';
  u.search = '';
  const cap = parseCapabilityUrl(u.toString());
  // Not URL-encoded: the mark is for people, and a `%E2%80%A6` would read as a secret of its own.
  const shown = cap ? `${cap.base}/v1/metadata/${encodeURIComponent(cap.node)}/…` : u.toString();
  return `${shown}${query}`;
}

/** A request path (with its query) as a log may show it: `redactUrl`'s rules on a path without an origin. */
export function redactPath(path: string): string {
  const origin = 'http://path.invalid';
  return redactUrl(`${origin}${path.startsWith('/') ? '' : '/'}${path}`).slice(origin.length);
}
