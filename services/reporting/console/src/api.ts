// The platform's APIs as the console uses them: reporting (this origin) for what is
// shown, dispatch for a unit's tasks and the steps people take. Every answer that is
// not 2xx becomes an ApiError with its problem+json body.
import { auth } from './auth';

export interface FieldProblem {
  readonly field: string;
  readonly pointer: string;
  readonly message: string;
}

export interface Problem {
  readonly status: number;
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly FieldProblem[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
  }
}

/** Where the services answer, from /console/config.json (the configured public URLs). */
export interface ConsoleConfig {
  readonly dispatchUrl: string;
  readonly temporalUiUrl: string;
  readonly temporalNamespace: string;
}

let config: ConsoleConfig | undefined;

export async function loadConfig(): Promise<ConsoleConfig> {
  if (config) return config;
  const res = await fetch('/console/config.json', { cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status, undefined);
  config = (await res.json()) as ConsoleConfig;
  return config;
}

export type Service = 'reporting' | 'dispatch';

/** Listeners told when the API refuses the credentials (401): the console signs out. */
const onUnauthorized = new Set<() => void>();
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized.add(fn);
}

function base(service: Service): string {
  if (service === 'reporting') return '';
  if (!config) throw new Error('config not loaded');
  return config.dispatchUrl;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  readonly accept?: string;
  /** Steps are retried safely with the same key (dispatch applies them once). */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export async function request(service: Service, path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json', ...auth.headers(options.method ?? 'GET') };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(`${base(service)}${path}`, {
      method: options.method ?? 'GET',
      headers,
      credentials: auth.credentials,
      cache: 'no-store',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, { status: 0, detail: '无法连接服务,请检查网络后重试。' });
  }
  if (!res.ok) {
    const type = res.headers.get('content-type') ?? '';
    const problem = /json/.test(type) ? ((await res.json().catch(() => undefined)) as Problem | undefined) : undefined;
    if (res.status === 401) for (const fn of onUnauthorized) fn();
    throw new ApiError(res.status, problem ?? { status: res.status });
  }
  return res;
}

export async function getJson<T>(service: Service, path: string, signal?: AbortSignal): Promise<T> {
  return (await request(service, path, signal ? { signal } : {})).json() as Promise<T>;
}

export async function postJson<T>(service: Service, path: string, body: unknown, idempotencyKey?: string): Promise<T> {
  return (await request(service, path, { method: 'POST', body, ...(idempotencyKey ? { idempotencyKey } : {}) })).json() as Promise<T>;
}

const HAS_CHINESE = /[\u4e00-\u9fff]/;

/**
 * What a person reads of a refusal: the Chinese part of the detail (the services
 * write "中文 (English)"), or a Chinese sentence for the status when the detail has
 * none. Never raw English.
 */
export function chineseMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return '操作未完成,请重试。';
  const detail = err.problem?.detail ?? '';
  if (HAS_CHINESE.test(detail)) {
    // "note: 舆情摘报正文不能为空 (the digest text is required)" → "舆情摘报正文不能为空"
    return detail
      .replace(/\s*\([^()]*[A-Za-z][^()]*\)\s*$/, '')
      .replace(/^[\w.]+:\s*/, '')
      .trim();
  }
  switch (err.status) {
    case 0:
      return '无法连接服务,请检查网络后重试。';
    case 400:
    case 422:
      return '填写的内容不符合要求,请检查标出的项目。';
    case 401:
      return '登录已失效,请重新登录。';
    case 403:
      return '您没有办理此事项的权限。';
    case 404:
      return '未找到该事项,可能已被改派或撤销。';
    case 409:
      return '当前状态下不能办理此步骤,请刷新后查看最新进展。';
    case 429:
      return '操作过于频繁,请稍后再试。';
    case 503:
      return '服务暂不可用,请稍后重试。';
    default:
      return `操作未完成(错误 ${err.status}),请重试。`;
  }
}

/**
 * The body field a refusal names, if any: problem+json `errors[].field`
 * (`body.reason`) or the workflow's "field: message" detail.
 */
export function fieldsOf(err: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!(err instanceof ApiError)) return out;
  for (const e of err.problem?.errors ?? []) {
    const field = e.field.replace(/^body\./, '');
    // "不能为空 (required)" → "不能为空": the English half is for integrators.
    out.set(field, HAS_CHINESE.test(e.message) ? e.message.replace(/\s*\([^()]*[A-Za-z][^()]*\)\s*$/, '').trim() : '此项填写不符合要求');
  }
  const m = /^([A-Za-z][\w.]*):\s*(.+)$/.exec(err.problem?.detail ?? '');
  if (m && !out.has(m[1]!)) out.set(m[1]!, chineseMessage(err));
  return out;
}
