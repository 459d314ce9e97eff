import { isDatabaseUnavailable } from '../src/problem';

describe('database-unavailable errors answer 503', () => {
  it.each([
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }],
    [new Error('Client has encountered a connection error and is not queryable')],
    [new Error('Connection terminated unexpectedly')],
    [new Error('timeout exceeded when trying to connect')],
    [{ message: 'the database system is starting up', code: '57P03' }],
    [Object.assign(new Error('wrapped'), { cause: { code: '08006' } })],
  ])('%o', (err) => expect(isDatabaseUnavailable(err)).toBe(true));

  it.each([[new Error('duplicate key value violates unique constraint')], [{ code: '23505' }], [undefined], [new TypeError('x is undefined')]])(
    'not %o',
    (err) => expect(isDatabaseUnavailable(err)).toBe(false),
  );
});
