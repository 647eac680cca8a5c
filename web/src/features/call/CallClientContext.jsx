import { createContext, useContext, useSyncExternalStore } from 'react'

const CallClientContext = createContext(null)

/** Makes the app's call client (callClient.js) available to the call screens. */
export function CallClientProvider({ client, children }) {
  return <CallClientContext.Provider value={client}>{children}</CallClientContext.Provider>
}

/** The call client, or null where there is none (tests that do not need it). */
export function useCallClient() {
  return useContext(CallClientContext)
}

const NO_STREAMS = { local: null, remote: null }
const noSubscription = () => () => {}

/** The local and remote MediaStreams of the current call. */
export function useCallStreams() {
  const client = useCallClient()
  return useSyncExternalStore(client?.subscribe ?? noSubscription, client?.getStreams ?? (() => NO_STREAMS))
}
