/** The event relay lives in the shared package (dispatch runs one too); re-exported for the worker's users. */
export { createEventRelay } from '@yuqing/shared';
