/**
 * Builds the workflow bundle once (`npm run build`), so production workers load
 * prebuilt code instead of running webpack at start.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export const BUNDLE_PATH = path.join(__dirname, 'workflow-bundle.js');

export async function buildBundle(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('@yuqing/workflows') });
  return code;
}

if (require.main === module) {
  void buildBundle().then(async (code) => {
    await writeFile(BUNDLE_PATH, code);
    process.stdout.write(`workflow bundle written to ${BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB)\n`);
  });
}
