import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '@yuqing/shared';
import { HttpProblem } from './problem';

/**
 * A Fastify instance configured the same way for every service: zod schemas for
 * validation and OpenAPI, request ids honoured from `X-Request-Id`, body limit,
 * and the process logger (its redaction keeps keys and contacts out of logs).
 */
export function createServer(options: { log: Logger; bodyLimit: number } & Pick<FastifyServerOptions, 'pluginTimeout'>) {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Limit header and URL abuse; Node's own limits apply beyond these.
    pluginTimeout: options.pluginTimeout ?? 30_000,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();
  // Strict content types: the APIs speak JSON only; anything else is 415.
  app.removeContentTypeParser('text/plain');
  // JSON must be valid UTF-8: a broken byte is refused, not turned into "�" and stored.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new HttpProblem(400, 'malformed_body', 'Bad Request', 'the body is not valid UTF-8', [{ field: 'body', pointer: '/', message: 'not valid UTF-8' }]), undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  return app;
}

export type App = ReturnType<typeof createServer>;
