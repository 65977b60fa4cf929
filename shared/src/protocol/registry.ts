import { z } from 'zod';

/**
 * The messages that cross agent ↔ driver-service, by the name their OpenAPI component has. The docs
 * generator turns this registry into `components.schemas` of docs/openapi/driver-service.yaml and into
 * docs/reference/agent-contract.json, so the document cannot drift from what the code accepts.
 */
export const protocolSchemas = z.registry<{ id: string }>();

/** JSON Schemas (2020-12) of the registered messages, referring to each other as `<prefix><id>`. */
export function protocolJsonSchemas(refPrefix = '#/components/schemas/'): Record<string, Record<string, unknown>> {
  const out = z.toJSONSchema(protocolSchemas, { io: 'input', uri: (id) => `${refPrefix}${id}` }) as { schemas: Record<string, Record<string, unknown>> };
  return Object.fromEntries(
    // Each schema's own $schema and $id are dropped: they are components of one document.
    Object.entries(out.schemas).map(([id, s]) => [id, Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$schema' && k !== '$id'))]),
  );
}
