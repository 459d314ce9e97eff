import type { Role, TaskKind } from '../domain/vocabulary';

/** Who a message is for: a unit, and the person when it goes to a person's own channel. Names only. */
export interface NoticeRecipient {
  readonly unitId: string;
  readonly unitName: string;
  readonly personId?: string;
  readonly personName?: string;
  readonly roles: readonly Role[];
}

/**
 * A rendered notification (dispatch renders it), stored with its delivery and
 * sent as is by every channel (webhook JSON, robot markdown, e-mail text). It
 * never holds contact data.
 */
export interface NoticeMessage {
  readonly title: string;
  readonly text: string;
  readonly markdown: string;
  readonly to: NoticeRecipient;
  /** The deadline the message is about (the earliest, for a warning), ISO-8601. */
  readonly dueAt?: string;
  /** `timeline`: the console page of what it is about (an incident, a summary report); `document`: a summary report's PDF. */
  readonly links: { readonly source?: string; readonly timeline: string; readonly tasks: string; readonly document?: string };
  /**
   * For a message that carries written work on: the step it comes from (签转 of the
   * digest, 报送 of the talking points or of the report upward) and the version sent.
   */
  readonly forwarded?: ForwardedWork;
}

/** What a forwarding message carries: the step whose written work it is, and which version. */
export interface ForwardedWork {
  readonly taskKind: TaskKind;
  readonly version?: number;
}
