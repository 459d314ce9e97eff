import { natsConnectOptions } from '../src';

describe('NATS_URL', () => {
  it('one server, no credentials', () => {
    expect(natsConnectOptions('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
  });

  it('the nodes of a cluster, comma-separated, with a service’s user taken out of every URL', () => {
    expect(natsConnectOptions('nats://worker:s%40cret@127.0.0.1:4322, nats://worker:s%40cret@127.0.0.1:4323,nats://127.0.0.1:4324')).toEqual({
      servers: ['nats://127.0.0.1:4322', 'nats://127.0.0.1:4323', 'nats://127.0.0.1:4324'],
      user: 'worker',
      pass: 's@cret',
    });
  });

  it('a password may hold a colon', () => {
    expect(natsConnectOptions('nats://dispatch:a:b@host:4222')).toEqual({ servers: ['nats://host:4222'], user: 'dispatch', pass: 'a:b' });
  });
});
