import { heartbeatAgentVersion } from '../../../../agent/src/ramdisk/heartbeat';
import { AGENT_VERSION } from '../../../../agent/src/ramdisk/api-server';

describe('the agent_version of a heartbeat', () => {
  it('carries the bootstrap image as build metadata when the agent runs from one', () => {
    expect(heartbeatAgentVersion()).toBe(`anvil-${AGENT_VERSION}`);
    expect(heartbeatAgentVersion('d5f0b13d-5e55-43af-aeda-a958733fc2d4')).toBe(`anvil-${AGENT_VERSION}+bootstrap.d5f0b13d-5e55-43af-aeda-a958733fc2d4`);
  });
});
