// Who is using the console, as the API sees them (/v1/me): their unit and roles
// pick the default views and the forms offered. The API decides every step anyway.
import { ref } from 'vue';
import { getJson } from './api';
import { auth } from './auth';
import { startLive, stopLive } from './live';

export interface Me {
  readonly id: string;
  readonly kind: 'client' | 'person';
  readonly name: string;
  readonly personId: string | null;
  readonly unitId: string | null;
  readonly unitName: string | null;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly bureauWide: boolean;
  readonly coordinator: boolean;
  readonly office: boolean;
}

export const me = ref<Me | undefined>();

/** Loads who the credentials belong to and starts the live stream; throws the API's refusal. */
export async function enter(): Promise<Me> {
  me.value = await getJson<Me>('reporting', '/v1/me');
  startLive();
  return me.value;
}

/** Signs out (ends the session on the server too, unless it is already gone). */
export async function leave(expired = false): Promise<void> {
  stopLive();
  if (expired) auth.forget();
  else await auth.signOut();
  me.value = undefined;
}

export const canAct = () => me.value?.scopes.includes('tasks:act') ?? false;
