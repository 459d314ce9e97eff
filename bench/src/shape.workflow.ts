import { patched, proxyLocalActivities, setCurrentDetails, sleep, upsertSearchAttributes, condition } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES } from '@yuqing/shared/domain';

/**
 * What an incident's first workflow task does, counted from a real incident's
 * history (profiles.ts reads it before the ceilings run): its version markers, its
 * local activities and the size of what each returns (the policy snapshot is the
 * large one), its deadline timers and its search-attribute upserts.
 */
export interface IncidentShape {
  readonly patches: number;
  /** Bytes each local activity returns, in order. */
  readonly localActivities: readonly number[];
  readonly timers: number;
  /** Upserts beyond the ones the version markers make themselves. */
  readonly upserts: number;
  /** Length of the details shown in the Web UI. */
  readonly detailsLength: number;
}

export interface ShapeActivities {
  /** Does nothing but return `bytes` of data; the last one also tells the bench this workflow got there. */
  shapeStep(workflowId: string, bytes: number, last: boolean): Promise<string>;
}

const { shapeStep } = proxyLocalActivities<ShapeActivities>({ startToCloseTimeout: '30s' });

/**
 * The same-shape ceiling's workflow (issue 16): the incident's first workflow task
 * with every side effect doing nothing, then waiting as an open incident does with
 * its timers pending, until the bench ends it. Its rate is what Temporal and a worker
 * can do for an incident's shape alone; intake, PostgreSQL, NATS and dispatch are
 * what we add on top.
 */
// `_input` is as large as an incident's input, so that the start request weighs the same.
export async function benchShapeWorkflow(workflowId: string, shape: IncidentShape, _input?: string): Promise<void> {
  for (let i = 0; i < shape.patches; i++) patched(`bench-shape-${i}`);
  const [first = 0, ...rest] = shape.localActivities;
  await shapeStep(workflowId, first, rest.length === 0);
  // Hours away, like an incident's acknowledgement and release deadlines.
  for (let i = 0; i < shape.timers; i++) void sleep(`${2 + i} hours`);
  for (let i = 0; i < shape.upserts; i++) upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: i % 2 ? 'handling' : 'received' }]);
  setCurrentDetails('·'.repeat(shape.detailsLength));
  for (let i = 0; i < rest.length; i++) await shapeStep(workflowId, rest[i]!, i === rest.length - 1);
  await condition(() => false);
}
