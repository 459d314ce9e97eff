import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { findUnacceptableText } from '@yuqing/shared';
import { HttpProblem, type FieldError } from './problem';

const pointer = (path: readonly (string | number)[]) => `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/**
 * Refuses, before any route's schema or handler sees it, a request whose body,
 * query or path holds text that cannot be accepted (a NUL byte, other control
 * characters, lone surrogates): one check for every field of every route, so no
 * schema can forget it and nothing half-stored follows. 422 for the body, 400 for
 * the query and path, each bad field named.
 */
export const inputGuardPlugin = fp(
  async (app: FastifyInstance) => {
    app.addHook('preValidation', async (request) => {
      for (const [part, value] of [
        ['body', request.body],
        ['querystring', request.query],
        ['params', request.params],
      ] as const) {
        const found = findUnacceptableText(value);
        if (found.length === 0) continue;
        const errors: FieldError[] = found.map((f) => ({ field: [part, ...f.path].join('.'), pointer: pointer([part, ...f.path]), message: f.reason }));
        const status = part === 'body' ? 422 : 400;
        throw new HttpProblem(
          status,
          'validation_failed',
          status === 422 ? 'Unprocessable Content' : 'Bad Request',
          `内容含有不允许的字符 (invalid ${part}: ${errors.map((e) => e.field).join(', ')})`,
          errors,
        );
      }
    });
  },
  { name: 'yuqing-input-guard' },
);
