import { cx } from './cx.js'

const SIZES = {
  sm: 'size-8 text-xs',
  md: 'size-10 text-sm',
  lg: 'size-16 text-xl',
}

export function initials(name = '') {
  const parts = name.trim().split(/\s+/).filter(Boolean)
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts
  return letters.map((part) => [...part][0]?.toUpperCase() ?? '').join('') || '?'
}

/** A user's picture, or their initials. Decorative: show the name next to it. */
export function Avatar({ user, size = 'md', className }) {
  const src = user?.avatar?.thumbnailUrl ?? user?.avatar?.url
  const classes = cx('inline-flex shrink-0 items-center justify-center overflow-hidden rounded-full', SIZES[size], className)
  if (src) {
    return <img src={src} alt="" className={cx(classes, 'object-cover')} />
  }
  return (
    <span aria-hidden="true" className={cx(classes, 'bg-accent-soft font-semibold text-accent ring-1 ring-line')}>
      {initials(user?.name)}
    </span>
  )
}
