import { useId } from 'react'
import { cx } from './cx.js'

export const controlClasses = cx(
  'block w-full rounded-lg border border-control bg-panel px-3 py-2.5 text-base text-ink',
  'placeholder:text-ink-muted disabled:opacity-60',
  'aria-invalid:border-danger aria-invalid:ring-1 aria-invalid:ring-danger',
)

/**
 * Label, optional hint, the control, and its error text, wired together:
 * the control gets `id`, `aria-invalid` and an `aria-describedby` naming the
 * hint and the error. `children` is a function receiving those props.
 */
export function FormField({ id, label, hint, error, extra, className, children }) {
  const autoId = useId()
  const controlId = id ?? autoId
  const hintId = `${controlId}-hint`
  const errorId = `${controlId}-error`
  const describedBy = [hint && hintId, error && errorId].filter(Boolean).join(' ') || undefined

  return (
    <div className={cx('space-y-1.5', className)}>
      <div className="flex items-baseline justify-between gap-2">
        <label htmlFor={controlId} className="block text-sm font-medium text-ink">
          {label}
        </label>
        {extra}
      </div>
      {children({
        id: controlId,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy,
      })}
      {hint && (
        <p id={hintId} className="text-sm text-ink-muted">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} className="flex items-start gap-1.5 text-sm font-medium text-danger">
          <svg aria-hidden="true" viewBox="0 0 20 20" fill="currentColor" className="mt-0.5 size-4 shrink-0">
            <path
              fillRule="evenodd"
              d="M18 10a8 8 0 1 1-16 0 8 8 0 0 1 16 0Zm-8-5a.75.75 0 0 1 .75.75v4.5a.75.75 0 0 1-1.5 0v-4.5A.75.75 0 0 1 10 5Zm0 10a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z"
              clipRule="evenodd"
            />
          </svg>
          <span>{error}</span>
        </p>
      )}
    </div>
  )
}
