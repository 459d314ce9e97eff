import { incidentView as sharedIncidentView, workflowUiUrl, type Config, type IncidentRow } from '@yuqing/shared';

/** Where the console and other callers find more about an incident. */
export function incidentLinks(config: Config, row: Pick<IncidentRow, 'id' | 'workflowId'>) {
  const base = `${config.REPORTING_PUBLIC_URL}/v1/incidents/${row.id}`;
  return {
    timeline: `${base}/timeline`,
    archive: `${base}/archive`,
    digest: `${base}/digest`,
    digestHtml: `${base}/digest.html`,
    digestPdf: `${base}/digest.pdf`,
    archivePdf: `${base}/archive.pdf`,
    review: `${base}/review`,
    reviewPdf: `${base}/review.pdf`,
    temporalUi: workflowUiUrl(config.TEMPORAL_UI_URL, config.TEMPORAL_NAMESPACE, row.workflowId),
  };
}

/** An incident as the console shows it: the shared view, with reporting's links. */
export function incidentView(config: Config, row: IncidentRow) {
  return { ...sharedIncidentView(row), links: incidentLinks(config, row) };
}
