/**
 * The OpenStack clients' failure paths, against nock: retries on 5xx and "node locked", timeouts, service
 * error messages, and a token that expires or is revoked mid-use.
 */
import nock from 'nock';
import { AnvilError } from '@anvil/shared';
import { createApplicationCredential, GlanceClient, IronicClient, KeystoneSession } from '@anvil/shared/openstack';

const IRONIC = 'http://ironic.test:6385';
const KEYSTONE = 'http://keystone.test:5000/v3';
const GLANCE = 'http://glance.test:9292';
const NODE = { uuid: '1be26c0b-03f2-4d2d-ae87-c02d7f33c123', driver: 'fake-hardware', provision_state: 'available' };

const tokenBody = (expiresInMs: number, extra: Record<string, unknown> = {}) => ({ token: { expires_at: new Date(Date.now() + expiresInMs).toISOString(), user: { id: 'u1' }, ...extra } });

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('Ironic client', () => {
  it('retries 503 and 409 (node locked), then answers', async () => {
    const scope = nock(IRONIC).get(`/v1/nodes/${NODE.uuid}`).reply(503, 'busy').get(`/v1/nodes/${NODE.uuid}`).reply(409, { error_message: '{"faultstring": "Node is locked by host c1"}' }).get(`/v1/nodes/${NODE.uuid}`).reply(200, NODE);
    const node = await new IronicClient({ endpoint: IRONIC, retries: 3 }).getNode(NODE.uuid);
    expect(node.provision_state).toBe('available');
    expect(scope.isDone()).toBe(true);
  });

  it('a 500 is an error with Ironic\'s own message and a stable code, not retried', async () => {
    nock(IRONIC).get(`/v1/nodes/${NODE.uuid}`).once().reply(500, { error_message: JSON.stringify({ faultstring: 'database is locked', debuginfo: null }) });
    const err = (await new IronicClient({ endpoint: IRONIC, retries: 3 }).getNode(NODE.uuid).catch((e: unknown) => e)) as AnvilError;
    expect(err).toBeInstanceOf(AnvilError);
    expect(err.code).toBe('ironic.http_500');
    expect(err.message).toBe(`reading node ${NODE.uuid}: ironic answered 500: database is locked`);
  });

  it('a read that times out is asked again; one that keeps timing out ends as unreachable', async () => {
    nock(IRONIC).get(`/v1/nodes/${NODE.uuid}`).delay(400).reply(200, NODE).get(`/v1/nodes/${NODE.uuid}`).reply(200, NODE);
    expect((await new IronicClient({ endpoint: IRONIC, timeoutMs: 100, retries: 2 }).getNode(NODE.uuid)).uuid).toBe(NODE.uuid);
    nock(IRONIC).get(`/v1/nodes/${NODE.uuid}`).times(3).delay(400).reply(200, NODE);
    const t0 = Date.now();
    const err = (await new IronicClient({ endpoint: IRONIC, timeoutMs: 100, retries: 2 }).getNode(NODE.uuid).catch((e: unknown) => e)) as AnvilError;
    expect(err.code).toBe('ironic.unreachable');
    expect(err.message).toContain('ironic did not answer (ECONNABORTED)');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a write that times out is not sent twice', async () => {
    const scope = nock(IRONIC).patch(`/v1/nodes/${NODE.uuid}`).once().delay(400).reply(200, NODE);
    const err = (await new IronicClient({ endpoint: IRONIC, timeoutMs: 100, retries: 3 }).patchNode(NODE.uuid, [{ op: 'add', path: '/extra/a', value: 1 }]).catch((e: unknown) => e)) as AnvilError;
    expect(err.code).toBe('ironic.unreachable');
    expect(scope.isDone()).toBe(true);
  });

  it('a token rejected mid-use (expired or revoked): Keystone is asked for a new one and the request retried once with it', async () => {
    nock(KEYSTONE).post('/auth/tokens').reply(201, tokenBody(3_600_000), { 'X-Subject-Token': 'token-1' }).post('/auth/tokens').reply(201, tokenBody(3_600_000), { 'X-Subject-Token': 'token-2' });
    nock(IRONIC, { reqheaders: { 'x-auth-token': 'token-1' } }).get(`/v1/nodes/${NODE.uuid}`).reply(401, { error_message: 'The request you have made requires authentication.' });
    nock(IRONIC, { reqheaders: { 'x-auth-token': 'token-2' } }).get(`/v1/nodes/${NODE.uuid}`).reply(200, NODE);
    const session = new KeystoneSession({ type: 'password', auth_url: KEYSTONE, username: 'anvil', password: 'pw', project_name: 'service' });
    const client = new IronicClient({ endpoint: IRONIC, token: () => session.token(), tokenRejected: () => session.invalidate() });
    expect((await client.getNode(NODE.uuid)).uuid).toBe(NODE.uuid);
    expect(nock.isDone()).toBe(true);
  });

  it('a token that stays rejected is an error, after one new token', async () => {
    nock(KEYSTONE).post('/auth/tokens').twice().reply(201, tokenBody(3_600_000), { 'X-Subject-Token': 'token-x' });
    nock(IRONIC).get(`/v1/nodes/${NODE.uuid}`).twice().reply(401, { error_message: 'The request you have made requires authentication.' });
    const session = new KeystoneSession({ type: 'password', auth_url: KEYSTONE, username: 'anvil', password: 'pw' });
    const err = (await new IronicClient({ endpoint: IRONIC, token: () => session.token(), tokenRejected: () => session.invalidate() }).getNode(NODE.uuid).catch((e: unknown) => e)) as AnvilError;
    expect(err.code).toBe('ironic.http_401');
    expect(nock.isDone()).toBe(true);
  });
});

describe('Keystone session', () => {
  it('re-authenticates before the token expires, and shares one authentication between concurrent callers', async () => {
    const scope = nock(KEYSTONE).post('/auth/tokens').reply(201, tokenBody(60_000), { 'X-Subject-Token': 'short' }).post('/auth/tokens').reply(201, tokenBody(3_600_000), { 'X-Subject-Token': 'long' });
    const session = new KeystoneSession({ type: 'application_credential', auth_url: KEYSTONE, id: 'ac', secret: 's' }, 120_000);
    expect(await Promise.all([session.token(), session.token(), session.token()])).toEqual(['short', 'short', 'short']);
    // 60 s left is inside the 120 s margin: the next caller gets a new token.
    expect(await session.token()).toBe('long');
    expect(await session.token()).toBe('long');
    expect(scope.isDone()).toBe(true);
  });

  it('a refused authentication is keystone.http_401 with Keystone\'s message', async () => {
    nock(KEYSTONE).post('/auth/tokens').reply(401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
    const err = (await new KeystoneSession({ type: 'application_credential', auth_url: KEYSTONE, id: 'gone', secret: 's' }).token().catch((e: unknown) => e)) as AnvilError;
    expect(err.code).toBe('keystone.http_401');
    expect(err.message).toBe('authentication failed: keystone answered 401: The request you have made requires authentication.');
  });

  it('an application credential Keystone refuses to create is keystone.http_403', async () => {
    nock(KEYSTONE).post('/auth/tokens').reply(201, tokenBody(3_600_000), { 'X-Subject-Token': 't' });
    nock(KEYSTONE).post('/users/u1/application_credentials').reply(403, { error: { code: 403, message: 'Using method application_credential is not allowed for managing additional application credentials.' } });
    const session = new KeystoneSession({ type: 'application_credential', auth_url: KEYSTONE, id: 'ac', secret: 's' });
    const err = (await createApplicationCredential(session, { name: 'x', expiresAt: new Date(Date.now() + 3_600_000), accessRules: [] }).catch((e: unknown) => e)) as AnvilError;
    expect(err.code).toBe('keystone.http_403');
    expect(err.message).toContain('not allowed for managing additional application credentials');
  });
});

describe('Glance client', () => {
  it('an unknown image is glance.http_404; a 503 is retried', async () => {
    nock(GLANCE).get('/v2/images/missing').reply(404, '<html><body><h1>404 Not Found</h1>No image found with ID missing</body></html>');
    const glance = new GlanceClient({ endpoint: GLANCE, token: () => Promise.resolve('t') });
    await expect(glance.image('missing')).rejects.toMatchObject({ code: 'glance.http_404' });
    nock(GLANCE).get('/v2/images/i1').reply(503).get('/v2/images/i1').reply(200, { id: 'i1', status: 'active', disk_format: 'raw', os_hash_algo: 'sha512', os_hash_value: 'ab', anvil_layout: 'x' });
    expect(await glance.image('i1')).toMatchObject({ id: 'i1', anvil_layout: 'x' });
  });
});
