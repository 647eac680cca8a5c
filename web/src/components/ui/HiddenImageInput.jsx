import { ACCEPTED_IMAGE_TYPES } from '../../lib/imageFile.js'

/**
 * The file input behind an image-picking button: out of sight and out of the
 * tab order (the visible button opens it with `ref.current.click()`), and
 * limited to the image types the server accepts.
 */
export function HiddenImageInput({ ref, onPick, testId }) {
  return (
    <input
      ref={ref}
      type="file"
      accept={ACCEPTED_IMAGE_TYPES}
      onChange={onPick}
      className="sr-only"
      tabIndex={-1}
      aria-hidden="true"
      data-testid={testId}
    />
  )
}
