import { isAnyOf } from '@reduxjs/toolkit'
import {
  messageDelivered,
  messageReadConfirmed,
  messageReceived,
  messageSentElsewhere,
  realtimeConnected,
  userCameOnline,
  userUpdated,
  userWentOffline,
} from '../../app/realtimeEvents.js'
import { chatApi } from './chatApi.js'
import { messageSent, messagesReadByMe } from './chatSlice.js'
import { catchUp, flushOutbox, watchPresence } from './chatThunks.js'
import { applyMessage, applyPeerChange, applyReadByMe, applyReceipt } from './conversations.js'

// How the chat feature reacts to the realtime connection: the cached
// conversation list is patched in place (no refetch per message), and a
// (re)connect sends the outbox and catches up on what was missed.

function patchConversations(dispatch, recipe) {
  let applied
  dispatch(
    chatApi.util.updateQueryData('getConversations', undefined, (draft) => {
      applied = recipe(draft)
    }),
  )
  return applied
}

function viewing(state, peerId) {
  return state.chat.openPeerId === peerId && globalThis.document?.visibilityState !== 'hidden'
}

/** @param {import('@reduxjs/toolkit').ListenerMiddlewareInstance['startListening']} startListening */
export function startChatListeners(startListening) {
  startListening({
    actionCreator: realtimeConnected,
    effect: async (_action, { dispatch }) => {
      dispatch(chatApi.util.invalidateTags(['Conversations']))
      await dispatch(flushOutbox())
      await dispatch(catchUp())
    },
  })

  startListening({
    matcher: chatApi.endpoints.getConversations.matchFulfilled,
    effect: ({ payload: conversations }, { dispatch }) => {
      dispatch(watchPresence(conversations.map((c) => c.peer?.id).filter(Boolean)))
    },
  })

  startListening({
    matcher: isAnyOf(messageReceived, messageSentElsewhere, messageSent),
    effect: (action, { dispatch, getState }) => {
      const { message } = action.payload
      const incoming = messageReceived.match(action)
      const countsAsUnread = incoming && !viewing(getState(), message.from)
      const applied = patchConversations(dispatch, (draft) => applyMessage(draft, message, { countsAsUnread }))
      // A first message starts a conversation the list does not have yet.
      if (!applied) dispatch(chatApi.util.invalidateTags(['Conversations']))
    },
  })

  startListening({
    actionCreator: messageDelivered,
    effect: ({ payload }, { dispatch }) =>
      patchConversations(dispatch, (draft) => applyReceipt(draft, { ...payload, delivered: true, at: payload.deliveredAt })),
  })
  startListening({
    actionCreator: messageReadConfirmed,
    effect: ({ payload }, { dispatch }) =>
      patchConversations(dispatch, (draft) => applyReceipt(draft, { ...payload, read: true, at: payload.readAt })),
  })
  startListening({
    actionCreator: messagesReadByMe,
    effect: ({ payload }, { dispatch }) => patchConversations(dispatch, (draft) => applyReadByMe(draft, payload.peerId)),
  })

  startListening({
    actionCreator: userCameOnline,
    effect: ({ payload: { userId, name, avatar } }, { dispatch }) =>
      patchConversations(dispatch, (draft) =>
        applyPeerChange(draft, userId, { status: 'online', ...(name ? { name } : {}), ...(avatar !== undefined ? { avatar } : {}) }),
      ),
  })
  startListening({
    actionCreator: userUpdated,
    effect: ({ payload: { user } }, { dispatch }) =>
      patchConversations(dispatch, (draft) =>
        applyPeerChange(draft, user.id, { name: user.name, bio: user.bio, avatar: user.avatar }),
      ),
  })
  startListening({
    actionCreator: userWentOffline,
    effect: ({ payload: { userId, lastSeen } }, { dispatch }) =>
      patchConversations(dispatch, (draft) => applyPeerChange(draft, userId, { status: 'offline', lastSeen })),
  })
}
