import { CAPABILITY_HEADER, capabilityUrl, parseCapabilityUrl, progressUrl, reportTarget } from '@anvil/shared/protocol';

describe('capability URLs', () => {
  it('are built and read back, with a path prefix and any trailing slashes', () => {
    const url = capabilityUrl('https://svc.example:9600/anvil//', 'n-1', 's3cr3t-_x');
    expect(url).toBe('https://svc.example:9600/anvil/v1/metadata/n-1/s3cr3t-_x');
    expect(parseCapabilityUrl(url)).toEqual({ base: 'https://svc.example:9600/anvil', node: 'n-1', secret: 's3cr3t-_x' });
    expect(parseCapabilityUrl(`${url}/?x=1`)).toMatchObject({ secret: 's3cr3t-_x' });
  });

  it('are not any URL', () => {
    expect(parseCapabilityUrl('http://plans/x.json')).toBeUndefined();
    expect(parseCapabilityUrl('http://svc/v1/metadata/n-1')).toBeUndefined();
    expect(parseCapabilityUrl('not a url')).toBeUndefined();
    expect(parseCapabilityUrl('http://svc/v1/metadata/n/%E0%A4%A')).toBeUndefined();
  });

  it('lead to the progress route, with the secret in the header', () => {
    expect(progressUrl('http://svc/', 'n-1')).toBe('http://svc/v1/nodes/n-1/vendor_passthru/progress');
    expect(reportTarget('http://svc/p/v1/metadata/n-1/abc')).toEqual({ url: 'http://svc/p/v1/nodes/n-1/vendor_passthru/progress', capability: 'abc' });
    expect(CAPABILITY_HEADER).toBe('x-anvil-capability');
  });
});
