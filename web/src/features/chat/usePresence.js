import { useAppSelector } from '../../app/hooks.js'
import { presenceFromUser, selectPresenceEntry } from './presenceSlice.js'

/** {status, lastSeen} of `user`: what events said, else what the REST copy says. */
export function usePresence(user) {
  const entry = useAppSelector((state) => selectPresenceEntry(state, user?.id))
  return entry ?? presenceFromUser(user)
}
