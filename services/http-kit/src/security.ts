import cors from '@fastify/cors';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { Config } from '@yuqing/shared';
import { authenticatedPrincipal } from './auth';
import { InFlightLimit, type InFlightLoad } from './in-flight';
import { HttpProblem } from './problem';

export interface SecurityOptions {
  /** Requests per minute per principal (the authenticated client or person, whichever header carried its key). */
  readonly perMinute: number;
  /** Requests per minute per address to what needs no key: the API docs, the console's files. */
  readonly anonymousPerMinute?: number;
  /** Requests of one principal running at once in this process, and waiting beyond those; more are answered 429. */
  readonly inFlight?: { readonly max: number; readonly queue: number };
  readonly contentSecurityPolicy?: HelmetOptions['contentSecurityPolicy'];
  /** Origins whose pages may call with the session cookie (the console's); none: no CORS at all. */
  readonly corsOrigins?: readonly string[];
}

/** The limits a service's configuration sets (README, Configuration). */
export function securityOptions(
  config: Pick<
    Config,
    'RATE_LIMIT_PER_MINUTE' | 'RATE_LIMIT_ANONYMOUS_PER_MINUTE' | 'CLIENT_MAX_IN_FLIGHT' | 'CLIENT_MAX_QUEUED' | 'CORS_ORIGINS' | 'REPORTING_PUBLIC_URL'
  >,
  contentSecurityPolicy?: SecurityOptions['contentSecurityPolicy'],
): SecurityOptions {
  return {
    corsOrigins: (config.CORS_ORIGINS ?? new URL(config.REPORTING_PUBLIC_URL).origin)
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    anonymousPerMinute: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE,
    inFlight: { max: config.CLIENT_MAX_IN_FLIGHT, queue: config.CLIENT_MAX_QUEUED },
    ...(contentSecurityPolicy ? { contentSecurityPolicy } : {}),
  };
}

/** Probes and the metrics are never limited: an orchestrator and Prometheus must always get an answer. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

const RETRY_IN_FLIGHT_SECONDS = 1;

declare module 'fastify' {
  interface FastifyInstance {
    /** Each principal's requests running and waiting (see InFlightLimit). */
    readonly inFlight: InFlightLoad;
  }
}

/**
 * Security headers on every answer (the console's own CSP is stricter) and the
 * limits that keep one caller from starving the others:
 * - a rate limit per principal, counted once the route's `requireScope` hook
 *   has authenticated the request (so `Bearer`, `bearer` and `X-API-Key` with
 *   the same key share one bucket), before its body is read;
 * - what needs no key (docs, the console's files) counts per address in a
 *   bucket of its own, so API traffic from an address cannot take the docs away;
 * - at most `inFlight.max` requests of a principal at once, `inFlight.queue`
 *   more waiting, so a burst within one key's minute cannot hold every database
 *   connection while other keys wait (BENCHMARKS.md, fairness).
 * Requests that fail authentication are limited by the auth plugin, per address.
 */
export const securityPlugin = fp<SecurityOptions>(
  async (app: FastifyInstance, { perMinute, anonymousPerMinute = 1_200, inFlight = { max: 8, queue: 32 }, contentSecurityPolicy, corsOrigins = [] }) => {
    if (corsOrigins.length) {
      // The console (one origin) calls the other services with its session cookie; no other page may.
      await app.register(cors, {
        origin: [...corsOrigins],
        credentials: true,
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-CSRF-Token', 'Idempotency-Key', 'X-Request-Id'],
        exposedHeaders: ['X-Request-Id', 'Retry-After', 'Location'],
        maxAge: 600,
      });
    }
    // Helmet's headers, its middleware built once: @fastify/helmet built it anew for every request, parsing
    // every directive again (2.5 % of intake's CPU in a report burst, BENCHMARKS.md).
    const securityHeaders = helmet({
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
    app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err) => done(err as Error | undefined)));
    await app.register(rateLimit, {
      // Route-level onRequest hooks (requireScope) have run by then: the principal is known.
      hook: 'preParsing',
      timeWindow: '1 minute',
      keyGenerator: (request) => {
        const principal = authenticatedPrincipal(request);
        return principal ? `principal:${principal.id}` : `address:${normalizeIP(request.ip)}`;
      },
      max: async (request) => (authenticatedPrincipal(request) ? perMinute : anonymousPerMinute),
      allowList: (request) => UNLIMITED.has(request.routeOptions.url ?? ''),
      errorResponseBuilder: (request, context) => {
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
        const who = authenticatedPrincipal(request) ? 'with this key' : 'from this address';
        return new HttpProblem(
          429,
          'rate_limited',
          'Too Many Requests',
          `more than ${context.max} requests per minute ${who}; retry in ${seconds} s`,
          undefined,
          {
            'retry-after': String(seconds),
          },
        );
      },
    });

    const limit = new InFlightLimit(inFlight.max, inFlight.queue);
    // Read by /metrics and by tests that must know a request is queued before sending the next.
    app.decorate<InFlightLoad>('inFlight', limit);
    const tooMany = () =>
      new HttpProblem(
        429,
        'too_many_in_flight',
        'Too Many Requests',
        `more than ${inFlight.max} requests with this key in progress and ${inFlight.queue} waiting; retry in ${RETRY_IN_FLIGHT_SECONDS} s`,
        undefined,
        { 'retry-after': String(RETRY_IN_FLIGHT_SECONDS) },
      );
    // After the rate limit's own hook (its onRoute hook was added first), before the body is read.
    const holdSlot = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const principal = authenticatedPrincipal(request);
      if (!principal) return;
      const slot = limit.enter(principal.id, tooMany);
      if (!slot) throw tooMany();
      // 'close' comes when the answer is sent and when the caller leaves early, waiting or not.
      reply.raw.once('close', slot.release);
      await slot.ready;
    };
    app.addHook('onRoute', (route) => {
      // A live stream stays open as long as its viewer watches: that is not work in progress.
      if ((route as { sse?: unknown }).sse) return;
      const existing = route.preParsing;
      route.preParsing = [...(Array.isArray(existing) ? existing : existing ? [existing] : []), holdSlot];
    });
  },
  { name: 'yuqing-security' },
);
