import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** OpenAPI from the routes' zod schemas: the spec at `/docs/json`, a browsable page at `/docs`. */
export const openapiPlugin = fp<{ title: string; description: string; version?: string }>(
  async (app: FastifyInstance, opts) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: opts.title, description: opts.description, version: opts.version ?? '0.1.0' },
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'API key: `Authorization: Bearer yq_…` (or the `X-API-Key` header)' },
            session: {
              type: 'apiKey',
              in: 'cookie',
              name: 'yq_session',
              description:
                'A signed-in person’s session (POST /v1/session or single sign-on); POST, PUT, PATCH and DELETE made with it also send the header `X-CSRF-Token` (the session’s `csrfToken`).',
            },
          },
        },
        security: [{ apiKey: [] }, { session: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  },
  { name: 'yuqing-openapi' },
);
