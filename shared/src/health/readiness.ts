/** A dependency's check: true when it answers. */
export type HealthCheck = () => boolean | Promise<boolean>;

export interface Readiness {
  /** Every required check answered. */
  readonly ready: boolean;
  /** Each check's state as `/readyz` shows it. */
  readonly checks: Readonly<Record<string, 'up' | 'down (degraded)' | 'down'>>;
  /** The required checks that did not answer, for the 503's detail. */
  readonly down: readonly string[];
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * What every process's `GET /readyz` asks: each check run at once, one that throws
 * or takes longer than 2 s counted as down. `required: false` checks are shown but
 * do not make the process unready (intake keeps accepting while Temporal is down).
 */
export async function checkReadiness(checks: Readonly<Record<string, { check: HealthCheck; required?: boolean }>>): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, { check, required = true }]) => {
      let timer: NodeJS.Timeout | undefined;
      const ok = await Promise.race([
        Promise.resolve()
          .then(check)
          .catch(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      return { name, ok, required };
    }),
  );
  const down = results.filter((r) => !r.ok && r.required).map((r) => r.name);
  return {
    ready: down.length === 0,
    checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'up' : r.required ? 'down' : 'down (degraded)'])),
    down,
  };
}
