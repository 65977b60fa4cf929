import type { Logger } from '@anvil/shared';
import type { IronicRamdiskApi } from './ironic-api';
import { AGENT_VERSION } from './api-server';

export interface HeartbeatOptions {
  readonly api: IronicRamdiskApi;
  readonly nodeUuid: string;
  readonly callbackUrl: string;
  readonly token: () => string | undefined;
  readonly agentVersion: string;
  /** Ironic's `heartbeat_timeout` from lookup, in seconds. */
  readonly heartbeatTimeoutS: number;
  readonly log: Logger;
}

/**
 * The `agent_version` a heartbeat carries (Ironic stores it in driver_internal_info.agent_version, where
 * `baremetal node show` displays it): Anvil's version, and the bootstrap image the agent runs from as
 * semver build metadata, e.g. `anvil-0.1.0+bootstrap.d5f0b13d-5e55-43af-aeda-a958733fc2d4`. Ironic 2023.1 does
 * not parse it.
 */
export function heartbeatAgentVersion(bootstrapUuid?: string): string {
  return `anvil-${AGENT_VERSION}${bootstrapUuid ? `+bootstrap.${bootstrapUuid}` : ''}`;
}

/** 0.3–0.6 × heartbeat_timeout, as IPA paces it (each heartbeat advances the conductor by at most one step). */
export function nextInterval(timeoutS: number, random = Math.random): number {
  return Math.round(timeoutS * 1000 * (0.3 + 0.3 * random()));
}

/**
 * Heartbeats to Ironic on a jittered interval, and soon after an asynchronous command finishes. It never
 * stops on errors: a failed heartbeat is retried sooner, since a silent agent gets its deploy failed by
 * the conductor's callback timeout.
 */
export class Heartbeater {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private inFlight = false;
  private again = false;
  private failures = 0;
  count = 0;

  constructor(private readonly o: HeartbeatOptions) {}

  start(): void {
    this.schedule(0);
  }

  /** Heartbeat within a second (after a command finished). */
  soon(): void {
    this.schedule(1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.beat(), ms);
  }

  private async beat(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    let next = nextInterval(this.o.heartbeatTimeoutS);
    try {
      const r = await this.o.api.heartbeat(this.o.nodeUuid, { callback_url: this.o.callbackUrl, agent_token: this.o.token(), agent_version: this.o.agentVersion });
      this.count++;
      if (r.ok) {
        this.failures = 0;
        this.o.log.info({ heartbeat: this.count }, 'heartbeat accepted');
      } else {
        this.failures++;
        this.o.log.warn({ status: r.status, reason: r.message, failures: this.failures }, 'heartbeat refused by Ironic');
        next = Math.min(next, 5000 * Math.min(this.failures, 6));
      }
    } catch (err) {
      this.failures++;
      this.o.log.warn({ err: err instanceof Error ? err.message : String(err), failures: this.failures }, 'heartbeat failed');
      next = Math.min(next, 2000 * Math.min(this.failures, 10));
    } finally {
      this.inFlight = false;
    }
    if (this.again) {
      this.again = false;
      next = 0;
    }
    this.schedule(next);
  }
}
