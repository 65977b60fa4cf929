import { reportTarget } from '../../../../agent/src/report/http';
import { hashSecret, metadataUrl, newSecret, secretMatches } from '../../../../driver-service/src/nodes/capability';

describe('capabilities', () => {
  it('are 256-bit secrets kept as hashes, compared in constant time, carried in the URL path', () => {
    const s = newSecret();
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(secretMatches(s, hashSecret(s))).toBe(true);
    expect(secretMatches(newSecret(), hashSecret(s))).toBe(false);
    const url = metadataUrl('http://svc:9600/', 'n-1', s);
    expect(url).toBe(`http://svc:9600/v1/metadata/n-1/${s}`);
    expect(reportTarget(url)).toEqual({ url: 'http://svc:9600/v1/nodes/n-1/vendor_passthru/progress', capability: s });
    expect(reportTarget('http://plans/x.json')).toBeUndefined();
  });
});
