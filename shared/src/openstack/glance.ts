import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { httpClient, toServiceError, withTokenRenewal } from './http';

/** The fields of a Glance v2 image Anvil reads; custom properties (e.g. `anvil_layout`) stay on the object. */
export const GlanceImage = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  disk_format: z.string().nullish(),
  container_format: z.string().nullish(),
  size: z.number().nullish(),
  checksum: z.string().nullish(),
  os_hash_algo: z.string().nullish(),
  os_hash_value: z.string().nullish(),
  visibility: z.string().optional(),
  owner: z.string().nullish(),
});
export type GlanceImageT = z.infer<typeof GlanceImage>;

export interface GlanceClientOptions {
  readonly endpoint: string;
  readonly token: () => Promise<string>;
  /** Called when Glance answers 401; the request is retried once with a new token. */
  readonly tokenRejected?: () => void;
  readonly timeoutMs?: number;
}

/** A typed client for Glance v2's image metadata (the bytes are read by the agent, not here). */
export class GlanceClient {
  private readonly http: AxiosInstance;

  constructor(private readonly o: GlanceClientOptions) {
    this.http = httpClient({ baseURL: o.endpoint, timeoutMs: o.timeoutMs ?? 30_000, retries: 3 });
  }

  get endpoint(): string {
    return this.o.endpoint.replace(/\/+$/, '');
  }

  async image(id: string): Promise<GlanceImageT> {
    const get = async (): Promise<GlanceImageT> => GlanceImage.parse((await this.http.get(`/v2/images/${encodeURIComponent(id)}`, { headers: { 'X-Auth-Token': await this.o.token() } })).data);
    try {
      return await withTokenRenewal(get, this.o.tokenRejected);
    } catch (err) {
      throw toServiceError('glance', `reading image ${id}`, err);
    }
  }

  /** The download path of an image, as access rules name it. */
  static filePath(id: string): string {
    return `/v2/images/${id}/file`;
  }
}

/** The URL an image's bytes are downloaded from. */
export function glanceFileUrl(endpoint: string, id: string): string {
  return `${endpoint.replace(/\/+$/, '')}${GlanceClient.filePath(encodeURIComponent(id))}`;
}
