import { redactUrl } from '@anvil/shared';

describe('redactUrl, the one rule for URLs in logs', () => {
  it('removes user info, hides the query and drops the fragment', () => {
    expect(redactUrl('https://user:pw@images.example/os.img?X-Amz-Signature=abc#frag')).toBe('https://images.example/os.img?…');
    expect(redactUrl('http://images.example/os.img')).toBe('http://images.example/os.img');
  });

  it('hides the secret of a capability URL, keeping the node', () => {
    expect(redactUrl('http://svc:9600/v1/metadata/6f1c/AbCdEf0123456789AbCdEf0123456789AbCdEf01234')).toBe('http://svc:9600/v1/metadata/6f1c/…');
    expect(redactUrl('http://svc:9600/v1/metadata/6f1c/secret?x=1')).toBe('http://svc:9600/v1/metadata/6f1c/…?…');
  });

  it('shows nothing of what is not a URL', () => {
    expect(redactUrl('hunter2')).toBe('<url>');
  });
});
