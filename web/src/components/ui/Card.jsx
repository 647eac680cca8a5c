import { cx } from './cx.js'

export function Card({ as: Tag = 'section', className, children, ...props }) {
  return (
    <Tag className={cx('rounded-2xl border border-line bg-panel p-5 shadow-sm sm:p-8', className)} {...props}>
      {children}
    </Tag>
  )
}
