import { FormField, controlClasses } from './FormField.jsx'
import { cx } from './cx.js'

/**
 * A labelled `<textarea>`. With `maxLength`-like `limit` and `count`, shows a
 * "count / limit" counter next to the label (not announced on every keystroke).
 */
export function TextArea({ id, label, hint, error, limit, count, className, rows = 4, ...props }) {
  const counter =
    limit != null ? (
      <span className={cx('text-sm tabular-nums', count > limit ? 'font-medium text-danger' : 'text-ink-muted')}>
        {count}/{limit}
      </span>
    ) : null
  return (
    <FormField id={id} label={label} hint={hint} error={error} extra={counter} className={className}>
      {(fieldProps) => <textarea rows={rows} {...props} {...fieldProps} className={cx(controlClasses, 'resize-y')} />}
    </FormField>
  )
}
