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
    for (const secret of ['yq_secret_key_value', 'yq_other_secret', '13800000000', 'zhang@example.org', 'yq_third_secret', 'hunter2', 'pw@db', 'c2VjcmV0cy1rZXktdmFsdWUtMzItYnl0ZXMtbG9uZyE=']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('张三');
  });
});
