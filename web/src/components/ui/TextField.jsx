import { FormField, controlClasses } from './FormField.jsx'
import { cx } from './cx.js'

/** A labelled `<input>` with hint and error text. Other props go to the input (incl. `ref`). */
export function TextField({ id, label, hint, error, className, inputClassName, ...inputProps }) {
  return (
    <FormField id={id} label={label} hint={hint} error={error} className={className}>
      {(fieldProps) => <input {...inputProps} {...fieldProps} className={cx(controlClasses, inputClassName)} />}
    </FormField>
  )
}
