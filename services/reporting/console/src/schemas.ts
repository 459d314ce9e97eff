// The bodies of the human steps, read from dispatch's own OpenAPI document
// (/docs/json, generated from the zod schemas the routes validate with), so the
// forms follow the API when a step gains or loses a field.
import { getJson } from './api';

export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly enum?: readonly string[];
  readonly const?: unknown;
  readonly items?: JsonSchema;
  readonly maxLength?: number;
  readonly minLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly maxItems?: number;
  readonly format?: string;
  readonly default?: unknown;
  readonly description?: string;
  readonly anyOf?: readonly JsonSchema[];
}

interface OpenApi {
  readonly paths: Readonly<Record<string, Readonly<Record<string, { summary?: string; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>>>;
}

let spec: Promise<OpenApi> | undefined;

function load(): Promise<OpenApi> {
  spec ??= getJson<OpenApi>('dispatch', '/docs/json').catch((err: unknown) => {
    spec = undefined;
    throw err;
  });
  return spec;
}

/** A step's path template and what it takes. */
export interface StepDefinition {
  /** `/v1/incidents/{id}/actions/acknowledge` */
  readonly template: string;
  /** The last path segment: acknowledge, report, complete, approve, release… */
  readonly name: string;
  /** Whether it is a step of one task (`/tasks/{taskKey}/…`) or of the incident. */
  readonly scope: 'task' | 'incident';
  readonly summary: string;
  readonly body: JsonSchema;
}

/** Every POST step on an incident that dispatch offers today. */
export async function stepDefinitions(): Promise<StepDefinition[]> {
  const doc = await load();
  const out: StepDefinition[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    const m = /^\/v1\/incidents\/\{id\}\/(actions|tasks\/\{taskKey\})\/([a-z_-]+)$/.exec(template);
    const post = methods.post;
    if (!m || !post) continue;
    out.push({
      template,
      name: m[2]!,
      scope: m[1] === 'actions' ? 'incident' : 'task',
      summary: post.summary ?? m[2]!,
      body: post.requestBody?.content?.['application/json']?.schema ?? { type: 'object', properties: {} },
    });
  }
  return out;
}

export function stepPath(def: StepDefinition, incidentId: string, taskKey?: string): string {
  return def.template.replace('{id}', encodeURIComponent(incidentId)).replace('{taskKey}', encodeURIComponent(taskKey ?? ''));
}
