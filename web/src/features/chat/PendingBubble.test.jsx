import { describe, expect, it } from 'vitest'
import { screen } from '@testing-library/react'
import { makeStore } from '../../app/store.js'
import { chatReducer } from './chatSlice.js'
import { aUser, renderWithProviders } from '../../test/utils.jsx'
import { PendingBubble } from './PendingBubble.jsx'

const RAVI = '65f1c0ffee0000000000bbbb'
const pending = (fields) => ({
  clientId: 'c-1',
  peerId: RAVI,
  text: null,
  image: null,
  preview: null,
  status: 'failed',
  progress: 1,
  error: 'Not sent.',
  createdAt: '2026-11-29T10:00:00.000Z',
  ...fields,
})

function renderItem(item) {
  const chat = { ...chatReducer(undefined, { type: 'init' }), outbox: [item] }
  const store = makeStore({ auth: { token: 'tok-1', user: aUser, expired: false }, chat }, { storage: null })
  const current = () => store.getState().chat.outbox.find((entry) => entry.clientId === item.clientId)
  return { ...renderWithProviders(<PendingBubble item={item} online />, { store }), current }
}

describe('PendingBubble', () => {
  it('offers Retry for a message that failed', () => {
    renderItem(pending({ text: 'hello', error: 'Too long' }))
    expect(screen.getByRole('alert')).toHaveTextContent('Not sent: Too long')
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Remove' })).toBeInTheDocument()
  })

  it('does not offer Retry for an image whose file was lost: Remove, or the caption alone on request', async () => {
    const { user, current } = renderItem(
      pending({ text: 'look', imageLost: true, error: 'The picked image is no longer available.' }),
    )
    expect(screen.getByRole('alert')).toHaveTextContent('Not sent: The picked image is no longer available.')
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Send text only' }))
    expect(current()).toMatchObject({ status: 'queued', imageLost: false, error: null })
  })

  it('offers only Remove for a lost image without a caption', async () => {
    const { user, current } = renderItem(pending({ imageLost: true, error: 'The picked image is no longer available.' }))
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Send text only' })).not.toBeInTheDocument()
    await user.click(screen.getByRole('button', { name: 'Remove' }))
    expect(current()).toBeUndefined()
  })
})
