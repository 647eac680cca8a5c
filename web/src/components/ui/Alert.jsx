import { cx } from './cx.js'

const TONES = {
  error: 'border-danger bg-danger-soft text-danger',
  success: 'border-success bg-success-soft text-success',
  info: 'border-line bg-accent-soft text-ink',
}

/**
 * A message box. Errors are `role="alert"` (announced at once); success and
 * info messages are `role="status"` (announced politely).
 */
export function Alert({ tone = 'info', title, children, className, ...props }) {
  return (
    <div
      role={tone === 'error' ? 'alert' : 'status'}
      className={cx('rounded-lg border px-4 py-3 text-sm', TONES[tone], className)}
      {...props}
    >
      {title && <p className="font-semibold">{title}</p>}
      <div className={cx(title && 'mt-1')}>{children}</div>
    </div>
  )
}
