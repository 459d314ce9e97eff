import { ApplicationFailure } from '@temporalio/common';
import { findUnacceptableText } from '@yuqing/shared/domain';
import { REJECTION, type RejectionType } from './incident.messages';

/** Refuses an Update: the type maps to an HTTP status (see `REJECTION`), the message is shown to the caller. */
export function reject(type: RejectionType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * Wraps an Update validator: text that could not be stored (a NUL byte, control
 * characters) is refused here, before the Update is accepted, never accepted and
 * then retried for ever by the activity that records it.
 */
export function checked<T>(validate: (input: T) => void): (input: T) => void {
  return (input) => {
    const bad = findUnacceptableText(input);
    if (bad.length > 0) reject(REJECTION.invalid, `${bad.map((b) => b.path.join('.')).join(', ')}: ${bad[0]!.reason}`);
    validate(input);
  };
}
