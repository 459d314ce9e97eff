import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '@yuqing/shared';

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
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  return app;
}

export type App = ReturnType<typeof createServer>;
