// Why a call ended, in words, from this user's side. `name` is the peer's.

const REASONS = {
  hangup: () => 'Call ended.',
  'remote-hangup': (name) => `${name} ended the call.`,
  declined: (name) => `${name} declined the call.`,
  busy: (name) => `${name} is on another call. Try again later.`,
  offline: (name) => `${name} is offline. Try again when they are online.`,
  timeout: (name) => `No answer from ${name}.`,
  disconnected: () => 'The connection was lost.',
  'connection-lost': () => 'The connection was lost.',
  'not-connected': () => 'You are offline, so the call could not start.',
  'media-denied': () => 'Samwaad could not use your camera and microphone. Allow them in your browser and try again.',
  'no-device': () => 'No camera or microphone was found.',
  'answered-elsewhere': () => 'You answered this call on another device.',
  'declined-elsewhere': () => 'You declined this call on another device.',
  missed: () => 'The call ended before it could be answered.',
  'in-call': () => 'You are already in a call.',
  forbidden: (name) => `You cannot call ${name}.`,
  failed: () => 'The call could not be set up.',
}

export function describeEnd(reason, name = 'They') {
  return (REASONS[reason] ?? REASONS.failed)(name)
}

/** Endings that were not a normal hang-up, shown as a problem. */
export function isProblem(reason) {
  return !['hangup', 'remote-hangup', 'answered-elsewhere', 'declined-elsewhere'].includes(reason)
}
