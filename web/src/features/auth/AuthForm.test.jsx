import { describe, expect, it } from 'vitest'
import { screen, waitFor } from '@testing-library/react'
import { AppRoutes } from '../../app/router.jsx'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../../test/utils.jsx'

const validationError = (fields, message = 'invalid input') =>
  jsonResponse(400, { error: { code: 'validation', message, fields } })

describe('AuthForm', () => {
  it('toggles between login and signup, keeping what was typed', async () => {
    const { user, location } = renderWithProviders(<AppRoutes />, { route: '/login' })

    expect(screen.getByRole('heading', { level: 1, name: 'Log in to Samwaad' })).toBeInTheDocument()
    expect(screen.queryByLabelText('Name')).not.toBeInTheDocument()
    expect(document.title).toBe('Log in · Samwaad')
    await user.type(screen.getByLabelText('Email'), 'asha@example.com')

    await user.click(screen.getByRole('link', { name: 'Create an account' }))
    expect(location().pathname).toBe('/signup')
    expect(screen.getByRole('heading', { level: 1, name: 'Create your Samwaad account' })).toBeInTheDocument()
    expect(screen.getByLabelText('Name')).toBeInTheDocument()
    expect(screen.getByLabelText('Email')).toHaveValue('asha@example.com')
    expect(screen.getByLabelText('Password')).toHaveAttribute('autocomplete', 'new-password')
    expect(screen.getByRole('button', { name: 'Create account' })).toBeInTheDocument()

    await user.click(screen.getByRole('link', { name: 'Log in' }))
    expect(location().pathname).toBe('/login')
    expect(screen.getByRole('button', { name: 'Log in' })).toBeInTheDocument()
  })

  it('checks fields before sending and focuses the first invalid one', async () => {
    const fetch = stubFetch({})
    const { user } = renderWithProviders(<AppRoutes />, { route: '/signup' })

    await user.type(screen.getByLabelText('Email'), 'not-an-email')
    await user.click(screen.getByRole('button', { name: 'Create account' }))

    const name = screen.getByLabelText('Name')
    expect(name).toHaveAttribute('aria-invalid', 'true')
    expect(name).toHaveAccessibleDescription('Enter your name.')
    expect(name).toHaveFocus()
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription(/Enter an email address like/)
    expect(screen.getByLabelText('Password')).toHaveAttribute('aria-invalid', 'true')
    expect(fetch).not.toHaveBeenCalled()
  })

  it('shows server field errors at their field', async () => {
    const fetch = stubFetch({
      'POST /api/v1/auth/signup': () => validationError({ email: 'must be a valid email' }),
    })
    const { user, store } = renderWithProviders(<AppRoutes />, { route: '/signup' })

    await user.type(screen.getByLabelText('Name'), '  Asha Rao ')
    await user.type(screen.getByLabelText('Email'), 'asha@example.com')
    await user.type(screen.getByLabelText('Password'), 'correct horse')
    await user.click(screen.getByRole('button', { name: 'Create account' }))

    const email = screen.getByLabelText('Email')
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'))
    expect(email).toHaveAccessibleDescription('Must be a valid email')
    expect(email).toHaveFocus()
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid')
    expect(screen.queryByRole('alert')).not.toBeInTheDocument()
    expect(fetch.requests[0].body).toEqual({ name: 'Asha Rao', email: 'asha@example.com', password: 'correct horse' })
    expect(store.getState().auth.token).toBeNull()

    // Editing the field clears its error.
    await user.type(email, 'x')
    expect(email).not.toHaveAttribute('aria-invalid')
  })

  it('puts a taken email (409) at the email field', async () => {
    stubFetch({
      'POST /api/v1/auth/signup': () =>
        jsonResponse(409, { error: { code: 'conflict', message: 'An account with this email already exists' } }),
    })
    const { user } = renderWithProviders(<AppRoutes />, { route: '/signup' })
    await user.type(screen.getByLabelText('Name'), 'Asha')
    await user.type(screen.getByLabelText('Email'), 'asha@example.com')
    await user.type(screen.getByLabelText('Password'), 'correct horse')
    await user.click(screen.getByRole('button', { name: 'Create account' }))

    await waitFor(() =>
      expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('An account with this email already exists'),
    )
  })

  it('shows a general error above the form', async () => {
    stubFetch({
      'POST /api/v1/auth/login': () =>
        jsonResponse(401, { error: { code: 'unauthorized', message: 'Wrong email or password.' } }),
    })
    const { user } = renderWithProviders(<AppRoutes />, { route: '/login' })
    await user.type(screen.getByLabelText('Email'), 'asha@example.com')
    await user.type(screen.getByLabelText('Password'), 'nope nope')
    await user.click(screen.getByRole('button', { name: 'Log in' }))

    expect(await screen.findByRole('alert')).toHaveTextContent('Wrong email or password.')
    expect(screen.getByLabelText('Email')).not.toHaveAttribute('aria-invalid')
  })

  it('logs in, stores the session and opens the page that asked for it', async () => {
    const fetch = stubFetch({
      'POST /api/v1/auth/login': () => jsonResponse(200, { user: aUser, token: 'tok-1' }),
      'GET /api/v1/users/me': () => jsonResponse(200, { user: aUser }),
    })
    const { user, store, location } = renderWithProviders(<AppRoutes />, { route: '/profile' })
    expect(location().pathname).toBe('/login')

    await user.type(screen.getByLabelText('Email'), ' Asha@Example.com ')
    await user.type(screen.getByLabelText('Password'), 'correct horse')
    await user.click(screen.getByRole('button', { name: 'Log in' }))

    expect(await screen.findByRole('heading', { level: 1, name: 'Your profile' })).toBeInTheDocument()
    expect(location().pathname).toBe('/profile')
    expect(store.getState().auth).toMatchObject({ token: 'tok-1', user: aUser })
    expect(JSON.parse(localStorage.getItem('samwaad.auth'))).toMatchObject({ token: 'tok-1' })
    expect(fetch.requests[0].body).toEqual({ email: 'Asha@Example.com', password: 'correct horse' })
  })
})
