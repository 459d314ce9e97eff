/**
 * Replays recorded histories of every tier against today's workflow code: a
 * change that breaks determinism (and would strand running incidents) fails here.
 * Each folder of `histories/` is one generation of the code, kept as long as
 * workflows of that generation may still run (the `patched` branches they take).
 * Record the current generation after an intended, versioned change with
 * `RECORD_HISTORIES=<folder> npx jest workflows/test/incident -t "to the archive"`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { quietTemporalRuntime, workflowBundle } from '@yuqing/testkit';

const dir = path.join(__dirname, 'histories');
const generations = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const files = generations.flatMap((g) =>
  readdirSync(path.join(dir, g))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(g, f)),
);

describe('replay of recorded histories', () => {
  beforeAll(() => quietTemporalRuntime());

  it.each(generations)('%s has a history for every tier', (generation) => {
    expect(readdirSync(path.join(dir, generation)).sort()).toEqual(['critical.json', 'general.json', 'major.json', 'sensitive.json']);
  });

  it.each(files)('%s replays without a determinism error', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    await expect(Worker.runReplayHistory({ workflowBundle: { code: workflowBundle() } }, history, `replay-${file}`)).resolves.toBeUndefined();
  });
});
