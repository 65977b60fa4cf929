import type * as OpenStack from '@anvil/shared/openstack';
import type { IronicClient, KeystoneSession } from '@anvil/shared/openstack';
import { AnvilError } from '@anvil/shared';
import { resolveCloudAuth, type CloudAuth } from './cloud-auth';

/** Where a command sends driver-service calls, and with what (service-client.ts). */
export interface ServiceTarget {
  readonly url: string;
  readonly token?: () => Promise<string>;
  readonly ca?: string;
}

/**
 * One command's OpenStack credentials (`--os-cloud`, `OS_CLOUD`, `OS_*`; cloud-auth.ts), resolved when a
 * command first needs them: one Keystone session for the driver-service and for Ironic, whose endpoint
 * comes from the catalog when `--ironic-url` is not given.
 */
export class CliCloud {
  private resolved?: { auth?: CloudAuth; session?: KeystoneSession };

  constructor(
    private readonly cloudName: () => string | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly cwd: string = process.cwd(),
  ) {}

  private get(): { auth?: CloudAuth; session?: KeystoneSession } {
    if (!this.resolved) {
      const auth = resolveCloudAuth({ cloud: this.cloudName(), env: this.env, cwd: this.cwd });
      if (!auth) this.resolved = {};
      else {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by commands that talk to OpenStack (see image/sources.ts)
        const { KeystoneSession } = require('@anvil/shared/openstack') as typeof OpenStack;
        this.resolved = { auth, session: new KeystoneSession(auth.auth, 120_000, auth.ca) };
      }
    }
    return this.resolved;
  }

  /** The driver-service at `url`, with a token when there are credentials. */
  service(url: string): ServiceTarget {
    const { auth, session } = this.get();
    return { url, ...(session ? { token: () => session.token() } : {}), ...(auth?.ca ? { ca: auth.ca } : {}) };
  }

  /** Ironic at `url`, or the catalog's `baremetal` endpoint of the cloud's interface and region. */
  async ironic(url: string | undefined): Promise<IronicClient> {
    const { auth, session } = this.get();
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const { IronicClient: Client } = require('@anvil/shared/openstack') as typeof OpenStack;
    let endpoint = url;
    if (!endpoint) {
      if (!session || !auth) throw new AnvilError('cli.cloud_incomplete', 'no Ironic: give --ironic-url (or ANVIL_IRONIC_URL), or credentials (--os-cloud, OS_CLOUD or OS_AUTH_URL) whose catalog has a baremetal endpoint');
      endpoint = await session.endpoint({ type: 'baremetal', interface: auth.interface, ...(auth.region ? { region: auth.region } : {}) });
    }
    return new Client({ endpoint, ...(session ? { token: () => session.token(), tokenRejected: () => session.invalidate() } : {}), ...(auth?.ca ? { ca: auth.ca } : {}) });
  }
}
