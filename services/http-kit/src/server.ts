import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config, Logger } from '@yuqing/shared';
import { clientErrorHandler } from './client-errors';
import { HttpProblem, sendProblem } from './problem';
import { clientRequestIdOf } from './request-id';

/**
 * A Fastify instance configured the same way for every service: zod schemas for
 * validation and OpenAPI, our own request id on every request (a client's
 * well-formed `X-Request-Id` is kept beside it as `clientRequestId`), body limit,
 * problem+json even for what Node's parser and the router refuse, and the
 * process logger (its redaction keeps keys and contacts out of logs).
 * `trustProxy` is TRUST_PROXY: the proxies whose X-Forwarded-For gives `request.ip`.
 */
export function createServer(options: { log: Logger; bodyLimit: number; trustProxy?: Config['TRUST_PROXY'] } & Pick<FastifyServerOptions, 'pluginTimeout'>) {
  const app = Fastify({
    // Only from the listed proxies is X-Forwarded-For believed (the client's address is the last
    // one in it that is not a listed proxy); none listed: the connection's address, header or not.
    ...(options.trustProxy?.length ? { trustProxy: [...options.trustProxy] } : {}),
    // The cast keeps the instance typed with Fastify's logger, as every plugin expects it.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.log as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    // Never the caller's id as ours: it could collide with another request's or be chosen to confuse the audit log.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // Every line a request logs carries the caller's id too, so both sides can find it.
    childLoggerFactory: (logger, bindings, opts, raw) => {
      const clientRequestId = clientRequestIdOf(raw.headers);
      return logger.child(clientRequestId ? { ...bindings, clientRequestId } : bindings, opts);
    },
    clientErrorHandler,
    frameworkErrors: (err, request, reply) => {
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendProblem(
        reply,
        request,
        new HttpProblem(
          tooLong ? 414 : 400,
          tooLong ? 'uri_too_long' : 'bad_url',
          tooLong ? 'URI Too Long' : 'Bad Request',
          tooLong ? 'a path segment is too long' : 'the URL is not valid',
        ),
      );
    },
    // Limit header and URL abuse; Node's own limits apply beyond these.
    pluginTimeout: options.pluginTimeout ?? 30_000,
    // Fastify's own 503 while closing is plain JSON; serve() answers problem+json while draining instead.
    return503OnClosing: false,
    ajv: { customOptions: { removeAdditional: false } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();
  app.decorateRequest('clientRequestId', {
    getter(this: { headers: Parameters<typeof clientRequestIdOf>[0] }) {
      return clientRequestIdOf(this.headers);
    },
  });
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
      done(
        new HttpProblem(400, 'malformed_body', 'Bad Request', 'the body is not valid UTF-8', [{ field: 'body', pointer: '/', message: 'not valid UTF-8' }]),
        undefined,
      );
      return;
    }
    void parseJson(request, text, done);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  return app;
}

export type App = ReturnType<typeof createServer>;
