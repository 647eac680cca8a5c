// The auth feature's public surface, for the app layer.
export { AuthForm } from './AuthForm.jsx'
export { useLogoutMutation, useMeQuery } from './authApi.js'
export {
  authReducer,
  loggedIn,
  loggedOut,
  selectCurrentUser,
  selectIsAuthenticated,
  selectToken,
  userUpdated,
} from './authSlice.js'
