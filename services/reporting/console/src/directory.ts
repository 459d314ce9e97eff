// The directory's outside bodies (市委、市政府、省局、宣传、网信…), which a report upward
// names: loaded once per page load from dispatch.
import { getJson } from './api';

export interface OutsideBody {
  readonly id: string;
  readonly name: string;
}

let bodies: Promise<readonly OutsideBody[]> | undefined;

/** The units of kind `outside`; an empty list when they cannot be read (the step's refusal then says why). */
export function outsideBodies(): Promise<readonly OutsideBody[]> {
  bodies ??= getJson<{ items: OutsideBody[] }>('dispatch', '/v1/units?kind=outside').then(
    (r) => r.items.map((u) => ({ id: u.id, name: u.name })),
    () => {
      bodies = undefined;
      return [];
    },
  );
  return bodies;
}
