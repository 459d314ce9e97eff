/** The ceiling's workflow: does nothing, so its start rate is Temporal's own. */
export async function benchEmptyWorkflow(): Promise<void> {
  return;
}
