/**
 * One incident from assessment to archive (plan §5–§7): the wiring and the path.
 * Deterministic code only: side effects go through activities, every deadline is
 * a durable timer (deadline-watcher.ts), human steps arrive as Updates
 * (incident.messages.ts) and are applied by the incident's case (incident-case.ts).
 */
import type { UpdateDefinition } from '@temporalio/common';
import { allHandlersFinished, condition, patched, setHandler } from '@temporalio/workflow';
import { activities, LOCAL } from './activities';
import { IncidentCase, PLAN_CLOCKS_PATCH, PLAN_STEPS_PATCH } from './incident-case';
import { RECORD_EVENTS_PATCH } from './incident-recorder';
import {
  acknowledgeUpdate,
  addTaskUpdate,
  approveUpdate,
  closeUpdate,
  completeTaskUpdate,
  reassessUpdate,
  reassignUpdate,
  refuseHandOffUpdate,
  renewTalkingPointsUpdate,
  requestHandOffUpdate,
  reclassifyUpdate,
  recordReleaseUpdate,
  REJECTION,
  returnTaskUpdate,
  stateQuery,
  submitReportUpdate,
  surgeUpdate,
  mergeUpdate,
  splitUpdate,
  absorbUpdate,
  type IncidentState,
  type IncidentWorkflowInput,
} from './incident.messages';
import { checked, reject } from './rejection';

export async function incidentWorkflow(input: IncidentWorkflowInput): Promise<IncidentState> {
  // Versions are read first, before any activity: a patch asked for after a local activity that
  // outlived its workflow task is not seen on replay by this SDK (TMPRL1100, seen in a test run).
  const versions = {
    recordEventsByName: patched(RECORD_EVENTS_PATCH),
    /** Clocks count from intake's acceptance; lowering re-times kept tasks to the lower tier (2026-12-02). */
    planClocks: patched(PLAN_CLOCKS_PATCH),
    /** A hand-off keeps the original clock; a final report naming the local government opens its lead-department step (2026-12-02). */
    planSteps: patched(PLAN_STEPS_PATCH),
  };
  const startedAt = new Date(Date.now()).toISOString();
  let incident: IncidentCase | undefined;
  /** The case, once dispatched; until then human steps are refused and may be retried. */
  const theCase = (): IncidentCase => incident ?? reject(REJECTION.notReady, '舆情尚未完成转办,请稍后重试 (incident not dispatched yet)');

  setHandler(
    stateQuery,
    () =>
      incident?.state() ?? {
        incidentId: input.incidentId,
        tier: input.tier,
        tierSince: startedAt,
        status: 'received',
        policyVersion: null,
        assignments: [],
        tasks: [],
        overdue: false,
      },
  );
  /** Sets an Update's handler on the case: `validate` refuses what the plan does not allow, `apply` records the step. */
  const forward = <A>(
    def: UpdateDefinition<IncidentState, [A]>,
    apply: (c: IncidentCase, a: A) => Promise<IncidentState>,
    validate: (c: IncidentCase, a: A) => void,
  ) => setHandler(def, (a) => apply(theCase(), a), { validator: checked((a: A) => validate(theCase(), a)) });
  forward(
    acknowledgeUpdate,
    (c, a) => c.acknowledge(a),
    (c, a) => c.validateAcknowledge(a),
  );
  forward(
    submitReportUpdate,
    (c, a) => c.submitReport(a),
    (c, a) => c.validateSubmitReport(a),
  );
  forward(
    completeTaskUpdate,
    (c, a) => c.completeTask(a),
    (c, a) => c.validateCompleteTask(a),
  );
  forward(
    approveUpdate,
    (c, a) => c.approve(a),
    (c, a) => c.validateApprove(a),
  );
  forward(
    recordReleaseUpdate,
    (c, a) => c.recordRelease(a),
    (c, a) => c.validateRecordRelease(a),
  );
  forward(
    reclassifyUpdate,
    (c, a) => c.reclassify(a),
    (c, a) => c.validateReclassify(a),
  );
  forward(
    reassignUpdate,
    (c, a) => c.reassign(a),
    (c, a) => c.validateReassign(a),
  );
  forward(
    requestHandOffUpdate,
    (c, a) => c.requestHandOff(a),
    (c, a) => c.validateRequestHandOff(a),
  );
  forward(
    refuseHandOffUpdate,
    (c, a) => c.refuseHandOff(a),
    (c, a) => c.validateRefuseHandOff(a),
  );
  forward(
    renewTalkingPointsUpdate,
    (c, a) => c.renewTalkingPoints(a),
    (c, a) => c.validateRenewTalkingPoints(a),
  );
  forward(
    addTaskUpdate,
    (c, a) => c.addTask(a),
    (c, a) => c.validateAddTask(a),
  );
  forward(
    returnTaskUpdate,
    (c, a) => c.returnTask(a),
    (c, a) => c.validateReturnTask(a),
  );
  forward(
    closeUpdate,
    (c, a) => c.close(a),
    (c, a) => c.validateClose(a),
  );
  // A new report may arrive before the first step is done: it waits for the case, then raises (or not), or alerts a surge.
  setHandler(
    reassessUpdate,
    async (i) => {
      await condition(() => incident !== undefined);
      return theCase().reassess(i);
    },
    { validator: checked(() => undefined) },
  );
  setHandler(
    surgeUpdate,
    async (i) => {
      await condition(() => incident !== undefined);
      return theCase().surge(i);
    },
    { validator: checked(() => undefined) },
  );
  // The office corrects the grouping (issue 15); the survivor's side of a merge is queued and may arrive early too.
  forward(
    mergeUpdate,
    (c, a) => c.merge(a),
    (c, a) => c.validateMerge(a),
  );
  forward(
    splitUpdate,
    (c, a) => c.split(a),
    (c, a) => c.validateSplit(a),
  );
  setHandler(
    absorbUpdate,
    async (i) => {
      await condition(() => incident !== undefined);
      return theCase().absorb(i);
    },
    { validator: checked(() => undefined) },
  );

  // The path: know the policy and the units, dispatch, handle until closed and reviewed, archive.
  const { policy, routing, finishedAt } = await activities.prepareIncident.executeWithOptions({ ...LOCAL, summary: '读取处置策略与责任单位' }, [
    { topic: input.topic, ...(input.district ? { district: input.district } : {}) },
  ]);
  incident = new IncidentCase(input, policy, routing, versions, finishedAt);
  await incident.dispatch();
  await condition(() => incident.readyToArchive());
  await incident.archive();
  await condition(allHandlersFinished);
  return incident.state();
}
