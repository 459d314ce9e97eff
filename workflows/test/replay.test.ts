/**
 * Replays recorded histories of every tier against today's workflow code: a
 * change that breaks determinism (and would strand running incidents) fails here.
 * Re-record after an intended, versioned change with
 * `RECORD_HISTORIES=1 npx jest workflows/test/incident -t "to the archive"`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietTemporalRuntime, workflowBundle } from '@yuqing/testkit';

const dir = path.join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded histories', () => {
  beforeAll(() => quietTemporalRuntime());

  it('has a history for every tier', () => {
    expect(files.sort()).toEqual(['critical.json', 'general.json', 'major.json', 'sensitive.json']);
  });

  it.each(files)('%s replays without a determinism error', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: { code: workflowBundle() } }, history, `replay-${file}`)).resolves.toBeUndefined();
  });
});
