/** Joins class names, skipping falsy ones. */
export function cx(...classes) {
  return classes.filter(Boolean).join(' ')
}
