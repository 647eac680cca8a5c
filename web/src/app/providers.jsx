import { Provider } from 'react-redux'
import { CallClientProvider } from '../features/call/CallClientContext.jsx'

/**
 * Everything the app runs inside, in one place (tests use it too).
 * `callClient` is the app's call client (features/call/callClient.js);
 * tests that need none leave it out.
 */
export function AppProviders({ store, callClient = null, children }) {
  return (
    <Provider store={store}>
      <CallClientProvider client={callClient}>{children}</CallClientProvider>
    </Provider>
  )
}
