import { describe, expect, it, vi } from 'vitest'
import { act, screen, waitFor } from '@testing-library/react'
import { AppRoutes } from '../../app/router.jsx'
import { makeStore } from '../../app/store.js'
import { RAVI, ravi } from '../../test/fixtures.js'
import { aUser, jsonResponse, renderWithProviders, stubFetch } from '../../test/utils.jsx'
import { callEnded, incomingCallRang, mediaConnected, outgoingCallRinging, outgoingCallStarted } from './callSlice.js'

const CALL = '65f1c0ffee00000000000ca1'
const NO_STREAMS = { local: null, remote: null }

function setup() {
  stubFetch({
    'GET /api/v1/users/me': () => jsonResponse(200, { user: aUser }),
    [`GET /api/v1/users/${RAVI}`]: () => jsonResponse(200, { user: ravi }),
    'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [] }),
  })
  const store = makeStore({ auth: { token: 'tok-1', user: aUser, expired: false } }, { storage: null })
  const client = {
    place: vi.fn(),
    accept: vi.fn(),
    decline: vi.fn(),
    hangUp: vi.fn(),
    setMic: vi.fn(),
    setCamera: vi.fn(),
    setQuality: vi.fn(),
    subscribe: () => () => {},
    getStreams: () => NO_STREAMS,
  }
  return { store, client }
}

describe('the incoming call dialog', () => {
  it('rings over any page with Accept focused; accepting opens the call', async () => {
    const { store, client } = setup()
    const { user, location } = renderWithProviders(<AppRoutes />, { route: '/profile', store, callClient: client })
    const before = screen.getByRole('button', { name: 'Save profile' })
    before.focus()
    act(() => store.dispatch(incomingCallRang({ callId: CALL, peerId: RAVI })))

    const dialog = await screen.findByRole('alertdialog', { name: 'Ravi Kumar' })
    expect(dialog).toHaveAccessibleDescription('Incoming video call…')
    expect(screen.getByRole('button', { name: 'Accept' })).toHaveFocus()
    await user.tab()
    expect(screen.getByRole('button', { name: 'Decline' })).toHaveFocus() // focus stays in the dialog

    await user.click(screen.getByRole('button', { name: 'Accept' }))
    expect(client.accept).toHaveBeenCalledOnce()
    expect(location().pathname).toBe(`/call/${RAVI}`)
  })

  it('declines, and gives focus back when the ringing stops', async () => {
    const { store, client } = setup()
    const { user } = renderWithProviders(<AppRoutes />, { route: '/profile', store, callClient: client })
    const before = screen.getByRole('button', { name: 'Save profile' })
    before.focus()
    act(() => store.dispatch(incomingCallRang({ callId: CALL, peerId: RAVI })))
    await user.click(await screen.findByRole('button', { name: 'Decline' }))
    expect(client.decline).toHaveBeenCalledOnce()

    act(() => store.dispatch(callEnded({ reason: 'hangup' })))
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument()
    expect(before).toHaveFocus()
  })
})

describe('CallPage', () => {
  it('starts the call once when a call button sent the user here', async () => {
    const { store, client } = setup()
    const route = { pathname: `/call/${RAVI}`, state: { start: true } }
    const { location } = renderWithProviders(<AppRoutes />, { route, store, callClient: client })
    await waitFor(() => expect(client.place).toHaveBeenCalledWith(RAVI))
    await waitFor(() => expect(location().state).toBeNull()) // a reload will not call again
    expect(client.place).toHaveBeenCalledOnce()
  })

  it('offers to start a call when opened directly', async () => {
    const { store, client } = setup()
    const { user } = renderWithProviders(<AppRoutes />, { route: `/call/${RAVI}`, store, callClient: client })
    expect(await screen.findByRole('heading', { name: 'Call Ravi Kumar' })).toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Start video call' }))
    expect(client.place).toHaveBeenCalledWith(RAVI)
  })

  it('shows the call: status, then the timer, and the controls', async () => {
    const { store, client } = setup()
    store.dispatch(outgoingCallStarted({ peerId: RAVI }))
    store.dispatch(outgoingCallRinging({ callId: CALL }))
    const { user } = renderWithProviders(<AppRoutes />, { route: `/call/${RAVI}`, store, callClient: client })
    expect(await screen.findByTestId('call-status')).toHaveTextContent('Calling Ravi Kumar… ringing')
    act(() => store.dispatch(mediaConnected()))
    expect(screen.getByTestId('call-status')).toHaveTextContent(/^0:0\d$/)

    await user.click(screen.getByRole('button', { name: 'Mute microphone' }))
    expect(client.setMic).toHaveBeenCalledWith(false)
    await user.click(screen.getByRole('button', { name: 'Turn camera off' }))
    expect(client.setCamera).toHaveBeenCalledWith(false)
    await user.selectOptions(screen.getByLabelText('Video quality'), 'sd')
    expect(client.setQuality).toHaveBeenCalledWith('sd')
    await user.click(screen.getByRole('button', { name: 'Hang up' }))
    expect(client.hangUp).toHaveBeenCalledOnce()
  })

  it.each([
    ['busy', 'Ravi Kumar is on another call. Try again later.'],
    ['offline', 'Ravi Kumar is offline. Try again when they are online.'],
    ['declined', 'Ravi Kumar declined the call.'],
    ['timeout', 'No answer from Ravi Kumar.'],
    ['connection-lost', 'The connection was lost.'],
  ])('says why the call ended (%s) and offers to call again', async (reason, text) => {
    const { store, client } = setup()
    store.dispatch(outgoingCallStarted({ peerId: RAVI }))
    store.dispatch(callEnded({ reason }))
    const { user } = renderWithProviders(<AppRoutes />, { route: `/call/${RAVI}`, store, callClient: client })
    expect(await screen.findByText(text)).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Call with Ravi Kumar' })).toHaveFocus()
    await user.click(screen.getByRole('button', { name: 'Call again' }))
    expect(client.place).toHaveBeenCalledWith(RAVI)
  })

  it('refuses a link that is not a user id', async () => {
    const { store, client } = setup()
    renderWithProviders(<AppRoutes />, { route: '/call/nope', store, callClient: client })
    expect(await screen.findByText('This call link is not valid.')).toBeInTheDocument()
  })
})
