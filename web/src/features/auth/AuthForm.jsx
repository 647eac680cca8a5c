import { useEffect, useRef, useState } from 'react'
import { Link, useLocation } from 'react-router'
import { useAppSelector } from '../../app/hooks.js'
import { Alert, Button, TextField } from '../../components/ui/index.js'
import { parseApiError, toFormErrors } from '../../lib/apiError.js'
import { useDocumentTitle } from '../../lib/useDocumentTitle.js'
import { firstInvalid, validateEmail, validateName, validateNewPassword } from '../../lib/validation.js'
import { useLoginMutation, useSignupMutation } from './authApi.js'
import { selectSessionExpired } from './authSlice.js'

const MODES = {
  login: {
    title: 'Log in',
    heading: 'Log in to Samwaad',
    submit: 'Log in',
    busy: 'Logging in…',
    fields: ['email', 'password'],
    switchPrompt: 'New to Samwaad?',
    switchLink: 'Create an account',
    switchTo: '/signup',
  },
  signup: {
    title: 'Create account',
    heading: 'Create your Samwaad account',
    submit: 'Create account',
    busy: 'Creating account…',
    fields: ['name', 'email', 'password'],
    switchPrompt: 'Already have an account?',
    switchLink: 'Log in',
    switchTo: '/login',
  },
}

function validate(mode, values) {
  const errors = {}
  if (mode === 'signup') errors.name = validateName(values.name)
  errors.email = validateEmail(values.email)
  // Login only checks presence: old accounts may predate today's rules.
  errors.password = mode === 'signup' ? validateNewPassword(values.password) : values.password ? null : 'Enter your password.'
  return Object.fromEntries(Object.entries(errors).filter(([, message]) => message))
}

/**
 * The login and signup form: one component, two modes, a link between them.
 * Typed values survive the switch; errors do not. Once a session starts the
 * public-only route redirects away, so there is no success branch here.
 */
export function AuthForm({ mode = 'login' }) {
  const config = MODES[mode]
  const location = useLocation()
  const sessionExpired = useAppSelector(selectSessionExpired)
  const [login, loginState] = useLoginMutation()
  const [signup, signupState] = useSignupMutation()
  const busy = loginState.isLoading || signupState.isLoading

  const [values, setValues] = useState({ name: '', email: '', password: '' })
  const [fieldErrors, setFieldErrors] = useState({})
  const [formError, setFormError] = useState(null)
  const [focusRequest, setFocusRequest] = useState(0)
  const inputs = { name: useRef(null), email: useRef(null), password: useRef(null) }

  useDocumentTitle(config.title)

  // Errors belong to the mode they were made in: drop them on a switch
  // (during render, so they never flash in the other mode).
  const [errorsMode, setErrorsMode] = useState(mode)
  if (errorsMode !== mode) {
    setErrorsMode(mode)
    setFieldErrors({})
    setFormError(null)
  }

  // Focus the first invalid field once its error is rendered, so a screen
  // reader reads the label together with the error.
  useEffect(() => {
    if (!focusRequest) return
    const name = firstInvalid(config.fields, fieldErrors)
    if (name) inputs[name].current?.focus()
  }, [focusRequest]) // only when a submit asks for it, not on every keystroke

  const showErrors = (errors, general = null) => {
    setFieldErrors(errors)
    setFormError(general)
    if (Object.keys(errors).length) setFocusRequest((n) => n + 1)
  }

  const onChange = (event) => {
    const { name, value } = event.target
    setValues((current) => ({ ...current, [name]: value }))
    if (fieldErrors[name]) setFieldErrors(({ [name]: _cleared, ...rest }) => rest)
  }

  const onSubmit = async (event) => {
    event.preventDefault()
    if (busy) return
    const errors = validate(mode, values)
    if (Object.keys(errors).length) {
      showErrors(errors)
      return
    }
    showErrors({})
    const email = values.email.trim()
    const request =
      mode === 'signup'
        ? signup({ name: values.name.trim(), email, password: values.password })
        : login({ email, password: values.password })
    const result = await request
    if (!result.error) return

    const parsed = parseApiError(result.error)
    // A taken email comes back as a bare 409: it belongs at the email field.
    if (mode === 'signup' && parsed.code === 'conflict' && !parsed.fields.email) {
      parsed.fields = { ...parsed.fields, email: parsed.message }
    }
    const { fieldErrors: serverFieldErrors, formError: general } = toFormErrors(parsed, config.fields)
    showErrors(serverFieldErrors, general)
  }

  const field = (name) => ({
    ref: inputs[name],
    name,
    value: values[name],
    onChange,
    error: fieldErrors[name],
  })

  return (
    <div className="space-y-6">
      <div className="space-y-2">
        <h1 className="text-2xl font-bold tracking-tight text-ink">{config.heading}</h1>
        <p className="text-sm text-ink-muted">
          {config.switchPrompt}{' '}
          <Link
            to={config.switchTo}
            state={location.state}
            className="font-semibold text-accent underline underline-offset-2 hover:text-accent-strong"
          >
            {config.switchLink}
          </Link>
        </p>
      </div>

      {sessionExpired && mode === 'login' && !formError && (
        <Alert tone="info">Your session has ended. Please log in again.</Alert>
      )}
      {formError && <Alert tone="error">{formError}</Alert>}

      <form noValidate onSubmit={onSubmit} className="space-y-5" aria-label={config.heading}>
        {mode === 'signup' && (
          <TextField label="Name" autoComplete="name" required maxLength={64} {...field('name')} />
        )}
        <TextField
          label="Email"
          type="email"
          inputMode="email"
          autoComplete={mode === 'signup' ? 'email' : 'username'}
          autoCapitalize="none"
          spellCheck={false}
          required
          {...field('email')}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
          hint={mode === 'signup' ? 'At least 8 characters.' : undefined}
          required
          {...field('password')}
        />
        <Button type="submit" block loading={busy}>
          {busy ? config.busy : config.submit}
        </Button>
      </form>
    </div>
  )
}
