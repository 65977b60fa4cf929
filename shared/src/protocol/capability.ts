/*
 * The node's capability: a secret in the path of its metadata URL
 * (`<public_url>/v1/metadata/{node}/{secret}`), written by the driver-service into
 * `driver_info.anvil_metadata_url`. The agent fetches its plan there and reports progress to the
 * vendor-passthru-shaped route with the same secret in a header. Both ends build and read these here.
 */

/** The driver_info key that carries the capability URL. */
export const METADATA_URL_KEY = 'anvil_metadata_url';
/** The driver_info / instance_info key naming the layout. */
export const LAYOUT_KEY = 'anvil_layout';
/** What a layout may be named: lower-case letters, digits, `-` and `_`, at most 63. */
export const LAYOUT_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/**
 * The query parameter of the plan fetch naming a layout: the agent passes its deploy step's `layout`
 * argument (a deploy template's choice) there.
 */
export const LAYOUT_QUERY = 'layout';
/**
 * The deploy interfaces that run Anvil's agent: Ironic's stock `custom-agent`, and `anvil`, the conductor
 * plugin's (contrib/ironic). Adoption keeps either and sets `custom-agent` otherwise.
 */
export const ANVIL_DEPLOY_INTERFACES = ['custom-agent', 'anvil'] as const;
/** The header that carries the capability secret on progress reports. Lower case, as Node gives headers. */
export const CAPABILITY_HEADER = 'x-anvil-capability';

/** Route shapes, in express's syntax. */
export const METADATA_ROUTE = '/v1/metadata/:node/:secret';
export const PASSTHRU_ROUTE = '/v1/nodes/:node/vendor_passthru/:method';
/** The vendor passthru method the agent reports progress with. */
export const PROGRESS_METHOD = 'progress';

export interface Capability {
  /** Everything before `/v1/metadata`: the service's public URL (with any path prefix), no trailing slash. */
  readonly base: string;
  readonly node: string;
  readonly secret: string;
}

// Case-insensitive: a router that ignores case would serve `/V1/Metadata/…` too, and its secret must be hidden the same.
const METADATA_PATH = /^(.*)\/v1\/metadata\/([^/]+)\/([^/]+)\/?$/i;

/**
 * The capability URL. The secret is in the path, never a query: Ironic masks `token=`-like text of
 * driver_info before the ramdisk sees it.
 */
export function capabilityUrl(publicUrl: string, node: string, secret: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/v1/metadata/${encodeURIComponent(node)}/${encodeURIComponent(secret)}`;
}

/** The parts of a capability URL, or undefined when the URL is not one (any query is ignored). */
export function parseCapabilityUrl(url: string): Capability | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const m = METADATA_PATH.exec(u.pathname);
  if (!m) return undefined;
  try {
    return { base: `${u.origin}${m[1]}`, node: decodeURIComponent(m[2]!), secret: decodeURIComponent(m[3]!) };
  } catch {
    return undefined; // a malformed %-escape
  }
}

/** Where the agent posts progress for a node, on the service at `base`. */
export function progressUrl(base: string, node: string): string {
  return `${base.replace(/\/+$/, '')}/v1/nodes/${encodeURIComponent(node)}/vendor_passthru/${PROGRESS_METHOD}`;
}

/** Where progress for the node of a capability URL goes, and the secret to send with it. */
export function reportTarget(metadataUrl: string): { url: string; capability: string } | undefined {
  const c = parseCapabilityUrl(metadataUrl);
  return c ? { url: progressUrl(c.base, c.node), capability: c.secret } : undefined;
}
