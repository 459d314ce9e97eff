import { ConfigError, loadConfig } from '../src/config/config';

describe('configuration', () => {
  it('has working defaults for the local stack', () => {
    const c = loadConfig({});
    expect(c.INTAKE_PORT).toBe(3001);
    expect(c.TEMPORAL_TASK_QUEUE).toBe('incidents');
    expect(c.NATS_STREAM).toBe('INCIDENTS');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names every invalid variable', () => {
    let error: unknown;
    try {
      loadConfig({ INTAKE_PORT: 'ninety', DATABASE_URL: 'mysql://x', NATS_SUBJECT_PREFIX: 'no dot' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const vars = (error as ConfigError).issues.map((i) => i.variable).sort();
    expect(vars).toEqual(['DATABASE_URL', 'INTAKE_PORT', 'NATS_SUBJECT_PREFIX']);
    expect((error as Error).message).toMatch(/INTAKE_PORT/);
  });

  it('single sign-on is all or nothing, and over https in production', () => {
    const issuesOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).issues.map((i) => i.variable).sort();
      }
    };
    expect(issuesOf({ OIDC_ISSUER: 'https://sso.example.org' })).toEqual(['OIDC_CLIENT_ID', 'OIDC_REDIRECT_URI']);
    const sso = { OIDC_ISSUER: 'http://127.0.0.1:9000', OIDC_CLIENT_ID: 'yuqing', OIDC_REDIRECT_URI: 'http://localhost:3003/v1/session/oidc/callback' };
    expect(issuesOf(sso)).toEqual([]);
    expect(issuesOf({ ...sso, NODE_ENV: 'production' })).toEqual(['OIDC_ISSUER']);
    expect(loadConfig({}).OIDC_ISSUER).toBeUndefined();
  });

  it('trusts no proxy unless told, and only addresses or CIDR ranges (a name could come to mean another host)', () => {
    expect(loadConfig({}).TRUST_PROXY).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.5, 10.1.0.0/24,fd00::1, loopback ' }).TRUST_PROXY).toEqual(['10.0.0.5', '10.1.0.0/24', 'fd00::1', 'loopback']);
    for (const bad of ['haproxy', '10.0.0.0/33', '10.0.0.5/', '10.0.0.5/8/1', '*', 'true', '2']) {
      expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY: comma-separated addresses or CIDR ranges/);
    }
  });
});
