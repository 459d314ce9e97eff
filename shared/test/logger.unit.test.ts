import { Writable } from 'node:stream';
import { createLogger } from '../src/logger/logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('writes JSON lines in production and never writes keys, passwords or contacts', () => {
    const { lines, stream } = capture();
    const log = createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'production', LOG_PRETTY: undefined }, 'test', stream);
    log.info(
      {
        req: { headers: { authorization: 'Bearer yq_secret_key_value', 'x-api-key': 'yq_other_secret' } },
        person: { name: '张三', phone: '13800000000', email: 'zhang@example.org' },
        client: { apiKey: 'yq_third_secret', password: 'hunter2' },
        config: { DATABASE_URL: 'postgres://u:pw@db/yuqing', SECRETS_KEY: 'c2VjcmV0cy1rZXktdmFsdWUtMzItYnl0ZXMtbG9uZyE=' },
      },
      'hello',
    );
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ name: 'test', msg: 'hello', level: 30 });
    const text = lines.join('');
    for (const secret of [
      'yq_secret_key_value',
      'yq_other_secret',
      '13800000000',
      'zhang@example.org',
      'yq_third_secret',
      'hunter2',
      'pw@db',
      'c2VjcmV0cy1rZXktdmFsdWUtMzItYnl0ZXMtbG9uZyE=',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('张三');
  });

  it('masks keys sent in a URL’s query string, however the parameter is spelt', () => {
    const { lines, stream } = capture();
    const log = createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'production', LOG_PRETTY: undefined }, 'test', stream);
    for (const url of [
      '/v1/x?api_key=yq_in_url_1',
      '/v1/x?a=1&ACCESS_TOKEN=yq_in_url_2#f',
      '/v1/x?api%5Fkey=yq_in_url_3',
      '/v1/x?token=yq_in_url_4&key=yq_in_url_5',
    ]) {
      log.info({ req: { method: 'GET', url } }, 'incoming request');
    }
    const text = lines.join('');
    expect(text).not.toMatch(/yq_in_url/);
    expect(JSON.parse(lines[1]!).req.url).toBe('/v1/x?a=1&ACCESS_TOKEN=[redacted]#f');
  });

  it('never writes what signing in carries: passwords, the session cookie, the CSRF token, a sign-on’s code and state', () => {
    const { lines, stream } = capture();
    const log = createLogger({ LOG_LEVEL: 'info', NODE_ENV: 'production', LOG_PRETTY: undefined }, 'test', stream);
    log.info(
      {
        req: {
          method: 'GET',
          url: '/v1/session/oidc/callback?code=sso_code_value&state=sso_state_value&iss=x',
          headers: { cookie: 'yq_session=cookie_value', 'x-csrf-token': 'csrf_value' },
        },
        body: { currentPassword: 'old_password_value', newPassword: 'new_password_value' },
        session: { csrfToken: 'csrf_value_2' },
        config: { OIDC_CLIENT_SECRET: 'client_secret_value' },
      },
      'request',
    );
    const text = lines.join('');
    for (const secret of ['sso_code_value', 'sso_state_value', 'cookie_value', 'csrf_value', 'old_password_value', 'new_password_value', 'client_secret_value'])
      expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!).req.url).toBe('/v1/session/oidc/callback?code=[redacted]&state=[redacted]&iss=x');
  });
});
