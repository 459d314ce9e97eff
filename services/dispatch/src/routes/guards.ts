/** One field error, for 422s raised by hand. */
export function fieldError(field: string, message: string) {
  return { field, pointer: `/${field.split('.').join('/')}`, message };
}
