const wf = require('@temporalio/workflow');
const acts = wf.proxyLocalActivities({ startToCloseTimeout: '30s' });
async function expEmpty() {}
async function expIncident(big) {
  const r = await acts.prepare(big);
  wf.upsertSearchAttributes({ YuqingStatus: ['handling'] });
  wf.setCurrentDetails('details ' + r.n);
  const t1 = wf.sleep('1h'); const t2 = wf.sleep('2h');
  await acts.publish();
  await wf.condition(() => false);
}
module.exports = { expEmpty, expIncident };
