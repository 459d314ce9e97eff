const wf = require('@temporalio/workflow');
const acts = wf.proxyLocalActivities({ startToCloseTimeout: '30s' });
async function expEmpty() {}
async function expIncident(big) {
  const r = await acts.prepare(big);
  wf.upsertSearchAttributes({ YuqingStatus: ['handling'] });
  wf.setCurrentDetails('details ' + r.n);
  // Two timers pending, as an incident's first deadlines are (their promises are never awaited).
  void wf.sleep('1h');
  void wf.sleep('2h');
  await acts.publish();
  await wf.condition(() => false);
}
module.exports = { expEmpty, expIncident };
