import { createHash } from 'node:crypto';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from './problem';

/** The credential a request presents, hashed (never the key itself), else its address. */
function rateKey(request: FastifyRequest): string {
  const auth = request.headers.authorization ?? (request.headers['x-api-key'] as string | undefined);
  return auth ? `key:${createHash('sha256').update(auth).digest('hex').slice(0, 32)}` : `ip:${request.ip}`;
}

/**
 * Security headers on every answer (the console's own CSP is stricter) and a
 * rate limit per credential, so one misbehaving caller cannot starve the others.
 * Health checks are not limited.
 */
export const securityPlugin = fp<{ perMinute: number; contentSecurityPolicy?: FastifyHelmetOptions['contentSecurityPolicy'] }>(
  async (app: FastifyInstance, { perMinute, contentSecurityPolicy }) => {
    await app.register(helmet, {
      // Swagger UI sets its own CSP on /docs; a service with pages (the console) passes a stricter one.
      contentSecurityPolicy: contentSecurityPolicy ?? {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          frameAncestors: ["'none'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
        },
      },
      crossOriginEmbedderPolicy: false,
    });
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: '1 minute',
      keyGenerator: rateKey,
      allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
      errorResponseBuilder: (_request, context) =>
        new HttpProblem(429, 'rate_limited', 'Too Many Requests', `more than ${context.max} requests per minute with this credential; retry in ${Math.ceil(context.ttl / 1000)} s`, undefined, {
          'retry-after': String(Math.ceil(context.ttl / 1000)),
        }),
    });
  },
  { name: 'yuqing-security' },
);
