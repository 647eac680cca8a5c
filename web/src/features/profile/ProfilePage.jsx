import { useEffect, useRef, useState } from 'react'
import { Alert, Avatar, Button, Card, TextArea, TextField } from '../../components/ui/index.js'
import { parseApiError, toFormErrors } from '../../lib/apiError.js'
import { useDocumentTitle } from '../../lib/useDocumentTitle.js'
import { BIO_MAX, charCount, firstInvalid, validateBio, validateName } from '../../lib/validation.js'
import { AvatarPicker } from './AvatarPicker.jsx'
import { useRemoveAvatarMutation, useUpdateProfileMutation } from './profileApi.js'

const FIELDS = ['name', 'bio']

/**
 * Edit your name, bio and picture. The app layer passes the current `user` and learns
 * about the saved user through `onSaved(user)`, so this feature does not
 * depend on how the session is stored.
 */
export function ProfilePage({ user, onSaved }) {
  useDocumentTitle('Profile')
  const [updateProfile, { isLoading }] = useUpdateProfileMutation()
  const [removeAvatar, { isLoading: removing }] = useRemoveAvatarMutation()
  const [avatarFile, setAvatarFile] = useState(null)
  const [avatarError, setAvatarError] = useState(null)
  const [values, setValues] = useState(() => ({ name: user?.name ?? '', bio: user?.bio ?? '' }))
  const [fieldErrors, setFieldErrors] = useState({})
  const [formError, setFormError] = useState(null)
  const [saved, setSaved] = useState(false)
  const [focusRequest, setFocusRequest] = useState(0)
  const inputs = { name: useRef(null), bio: useRef(null) }

  useEffect(() => {
    if (!focusRequest) return
    const name = firstInvalid(FIELDS, fieldErrors)
    if (name) inputs[name].current?.focus()
  }, [focusRequest]) // only when a submit asks for it

  const showErrors = (errors, general = null) => {
    setFieldErrors(errors)
    setFormError(general)
    if (Object.keys(errors).length) setFocusRequest((n) => n + 1)
  }

  const onChange = (event) => {
    const { name, value } = event.target
    setValues((current) => ({ ...current, [name]: value }))
    setSaved(false)
    if (fieldErrors[name]) setFieldErrors(({ [name]: _cleared, ...rest }) => rest)
  }

  const onSubmit = async (event) => {
    event.preventDefault()
    if (isLoading) return
    const errors = Object.fromEntries(
      [
        ['name', validateName(values.name)],
        ['bio', validateBio(values.bio)],
      ].filter(([, message]) => message),
    )
    if (Object.keys(errors).length) {
      showErrors(errors)
      return
    }
    showErrors({})
    setSaved(false)
    setAvatarError(null)
    const patch = { name: values.name.trim(), bio: values.bio.trim() }
    if (avatarFile) patch.avatar = avatarFile
    const result = await updateProfile(patch)
    if (result.error) {
      const parsed = parseApiError(result.error)
      // The picture's own problems (too big, not an image) go next to the picture.
      if (parsed.fields.avatar || (avatarFile && ['payload_too_large', 'unsupported_media_type'].includes(parsed.code))) {
        const reason = parsed.fields.avatar ?? parsed.message
        setAvatarError(reason.charAt(0).toUpperCase() + reason.slice(1))
        delete parsed.fields.avatar
        if (!Object.keys(parsed.fields).length) return
      }
      const { fieldErrors: serverErrors, formError: general } = toFormErrors(parsed, FIELDS)
      showErrors(serverErrors, general)
      return
    }
    const next = result.data.user
    setValues({ name: next.name ?? '', bio: next.bio ?? '' })
    setAvatarFile(null)
    setSaved(true)
    onSaved?.(next)
  }

  const onRemoveAvatar = async () => {
    setSaved(false)
    setAvatarError(null)
    const result = await removeAvatar()
    if (result.error) {
      setAvatarError(parseApiError(result.error).message)
      return
    }
    onSaved?.(result.data.user)
  }

  return (
    <div className="mx-auto max-w-2xl space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Your profile</h1>
      <Card className="space-y-6">
        <div className="flex items-center gap-4">
          <Avatar user={user} size="lg" />
          <div className="min-w-0">
            <p className="truncate text-lg font-semibold">{user?.name}</p>
            {user?.email && <p className="truncate text-sm text-ink-muted">{user.email}</p>}
          </div>
        </div>

        {formError && <Alert tone="error">{formError}</Alert>}
        {saved && <Alert tone="success">Profile saved.</Alert>}

        <form noValidate onSubmit={onSubmit} className="space-y-5" aria-label="Edit profile">
          <AvatarPicker
            user={user}
            file={avatarFile}
            onFileChange={(file) => {
              setAvatarFile(file)
              setAvatarError(null)
              setSaved(false)
            }}
            onRemove={onRemoveAvatar}
            removing={removing}
            error={avatarError}
          />
          <TextField
            ref={inputs.name}
            label="Name"
            name="name"
            autoComplete="name"
            required
            maxLength={64}
            value={values.name}
            onChange={onChange}
            error={fieldErrors.name}
          />
          <TextArea
            ref={inputs.bio}
            label="Bio"
            name="bio"
            hint="A line or two other people see next to your name."
            limit={BIO_MAX}
            count={charCount(values.bio)}
            value={values.bio}
            onChange={onChange}
            error={fieldErrors.bio}
          />
          <div className="flex justify-end">
            <Button type="submit" loading={isLoading}>
              {isLoading ? 'Saving…' : 'Save profile'}
            </Button>
          </div>
        </form>
      </Card>
    </div>
  )
}
