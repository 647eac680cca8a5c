import { Spinner } from './Spinner.jsx'
import { cx } from './cx.js'

const VARIANTS = {
  primary: 'bg-accent text-on-accent hover:bg-accent-strong',
  secondary: 'border border-control bg-panel text-ink hover:bg-canvas',
  ghost: 'text-ink hover:bg-canvas',
  danger: 'bg-danger text-panel hover:opacity-90',
}

const SIZES = {
  sm: 'min-h-9 px-3 text-sm',
  md: 'min-h-11 px-4 text-base sm:text-sm',
}

export function buttonClasses({ variant = 'primary', size = 'md', block = false, className } = {}) {
  return cx(
    'inline-flex items-center justify-center gap-2 rounded-lg font-semibold transition-colors',
    'disabled:cursor-not-allowed disabled:opacity-60 aria-disabled:cursor-progress',
    VARIANTS[variant],
    SIZES[size],
    block && 'w-full',
    className,
  )
}

/**
 * A button. `loading` shows a spinner and marks it busy but keeps it focusable
 * (a disabled button would drop keyboard focus); the form ignores repeat submits.
 */
export function Button({
  variant = 'primary',
  size = 'md',
  block = false,
  loading = false,
  type = 'button',
  className,
  children,
  ...props
}) {
  return (
    <button
      type={type}
      aria-busy={loading || undefined}
      aria-disabled={loading || undefined}
      className={buttonClasses({ variant, size, block, className })}
      {...props}
    >
      {loading && <Spinner />}
      {children}
    </button>
  )
}
