import { useEffect, useId, useRef, useState } from 'react'
import { Avatar, Button, HiddenImageInput } from '../../components/ui/index.js'
import { checkImageFile } from '../../lib/imageFile.js'

/** An object URL for `file`, revoked when the file changes or the component goes. */
function usePreviewUrl(file) {
  const [url, setUrl] = useState(null)
  useEffect(() => {
    if (!file || !globalThis.URL?.createObjectURL) {
      setUrl(null)
      return undefined
    }
    const next = URL.createObjectURL(file)
    setUrl(next)
    return () => URL.revokeObjectURL(next)
  }, [file])
  return url
}

/**
 * The profile picture: the current one, or a preview of a newly chosen file
 * (checked for type and size before anything is sent). The file is saved
 * with the form; removing the current picture is immediate.
 */
export function AvatarPicker({ user, file, onFileChange, onRemove, removing, error: serverError }) {
  const inputRef = useRef(null)
  const hintId = useId()
  const errorId = useId()
  const [checkError, setCheckError] = useState(null)
  const preview = usePreviewUrl(file)
  const error = checkError ?? serverError
  const shown = preview ? { ...user, avatar: { url: preview, thumbnailUrl: preview } } : user

  const onPick = async (event) => {
    const picked = event.target.files?.[0]
    event.target.value = ''
    if (!picked) return
    const check = await checkImageFile(picked)
    if (!check.ok) {
      setCheckError(check.error)
      return
    }
    setCheckError(null)
    onFileChange(picked)
  }

  return (
    <fieldset className="space-y-3">
      <legend className="text-sm font-medium text-ink">Profile picture</legend>
      <div className="flex flex-wrap items-center gap-4">
        <span data-testid="avatar-preview">
          <Avatar user={shown} size="lg" />
        </span>
        <div className="flex flex-wrap gap-2">
          <HiddenImageInput ref={inputRef} onPick={onPick} testId="avatar-input" />
          <Button
            variant="secondary"
            size="sm"
            onClick={() => inputRef.current?.click()}
            aria-describedby={[hintId, error ? errorId : null].filter(Boolean).join(' ')}
          >
            {user?.avatar || file ? 'Choose another picture' : 'Choose a picture'}
          </Button>
          {file && (
            <Button variant="ghost" size="sm" onClick={() => onFileChange(null)}>
              Keep the current one
            </Button>
          )}
          {!file && user?.avatar && (
            <Button variant="ghost" size="sm" loading={removing} onClick={() => removing || onRemove()}>
              Remove picture
            </Button>
          )}
        </div>
      </div>
      <p id={hintId} className="text-sm text-ink-muted">
        {file ? 'Preview: save your profile to use this picture.' : 'JPEG, PNG, WebP or GIF, up to 5 MB.'}
      </p>
      {error && (
        <p id={errorId} role="alert" className="text-sm font-medium text-danger">
          {error}
        </p>
      )}
    </fieldset>
  )
}
