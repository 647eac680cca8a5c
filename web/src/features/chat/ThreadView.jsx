import { useEffect } from 'react'
import { skipToken } from '@reduxjs/toolkit/query/react'
import { useAppDispatch, useAppSelector } from '../../app/hooks.js'
import { selectIsOnline } from '../../app/connectionSlice.js'
import { useChatPeerQuery, useGetConversationsQuery } from './chatApi.js'
import { threadClosed } from './chatSlice.js'
import { openThread, watchPresence } from './chatThunks.js'
import { Composer } from './Composer.jsx'
import { conversationWith } from './conversations.js'
import { MessageList } from './MessageList.jsx'
import { ThreadHeader } from './ThreadHeader.jsx'

/** The conversation with one person: header, messages, composer. */
export function ThreadView({ peerId }) {
  const dispatch = useAppDispatch()
  const online = useAppSelector(selectIsOnline)
  const { data: conversations, isSuccess } = useGetConversationsQuery()
  const conversation = conversationWith(conversations, peerId)
  // Someone found through search has no conversation yet: ask who they are.
  const { data: fetchedPeer } = useChatPeerQuery(isSuccess && !conversation ? peerId : skipToken)
  const peer = conversation?.peer ?? fetchedPeer ?? null
  const conversationId = conversation?.id ?? null

  useEffect(() => {
    if (isSuccess) dispatch(openThread({ peerId, conversationId }))
  }, [dispatch, isSuccess, peerId, conversationId])

  useEffect(() => () => dispatch(threadClosed()), [dispatch])

  // Conversation partners' presence comes anyway; a new contact's does once asked for.
  useEffect(() => {
    if (online && isSuccess && !conversationId) dispatch(watchPresence([peerId]))
  }, [dispatch, online, isSuccess, conversationId, peerId])

  return (
    <div className="flex h-full min-h-0 flex-col">
      <ThreadHeader peerId={peerId} peer={peer} />
      <MessageList peerId={peerId} peer={peer} />
      <Composer peerId={peerId} peerName={peer?.name ?? 'them'} />
    </div>
  )
}
