// Every code's Chinese label, from /v1/labels (shared/src/domain/labels.zh.ts on the
// server): the console keeps no copy of its own.
import { reactive } from 'vue';
import { getJson } from './api';

export type LabelGroup =
  | 'tiers'
  | 'incidentStatuses'
  | 'topics'
  | 'districts'
  | 'flags'
  | 'roles'
  | 'tasks'
  | 'taskStatuses'
  | 'events'
  | 'alertKinds'
  | 'chainActions'
  | 'releaseForms'
  | 'dispositions'
  | 'reportKinds'
  | 'leads'
  | 'metrics'
  | 'fourFirsts'
  | 'truths'
  | 'contentFields'
  | 'actions'
  | 'fields'
  | 'answerableVia'
  | 'reportOutcomes'
  | 'matchRules'
  | 'summaryKinds';

const labels = reactive<Partial<Record<LabelGroup, Record<string, string>>>>({});

export async function loadLabels(): Promise<void> {
  Object.assign(labels, await getJson<Record<LabelGroup, Record<string, string>>>('reporting', '/v1/labels'));
}

/** The label of a code, or the code itself when the vocabulary has none (never blank). */
export function label(group: LabelGroup, code: string | null | undefined): string {
  if (!code) return '';
  return labels[group]?.[code] ?? code;
}

export function hasLabel(group: LabelGroup, code: string): boolean {
  return labels[group]?.[code] !== undefined;
}

/** A group's codes and labels, in the vocabulary's order (for selects). */
export function options(group: LabelGroup): { value: string; label: string }[] {
  return Object.entries(labels[group] ?? {}).map(([value, text]) => ({ value, label: text }));
}

/** The group whose codes include every value of an enum (for forms built from a schema). */
export function groupOfEnum(values: readonly string[]): LabelGroup | undefined {
  return (Object.keys(labels) as LabelGroup[]).find((g) => values.length > 0 && values.every((v) => labels[g]?.[v] !== undefined));
}
