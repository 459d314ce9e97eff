const wf = require('@temporalio/workflow');
const acts = wf.proxyLocalActivities({ startToCloseTimeout: '30s' });
async function expTimer(dueAt) {
  const ms = dueAt - Date.now();
  if (ms > 0) await wf.sleep(ms);
  await acts.lapse(dueAt);
}
module.exports = { expTimer };
