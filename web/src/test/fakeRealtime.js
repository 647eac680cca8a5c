import { RealtimeError } from '../app/realtime.js'

/**
 * A stand-in for the realtime connection (app/realtime.js) for thunks and
 * components: records what is emitted, answers acks with `answer(event, fn)`
 * (default {ok: true}), and delivers signalling with `push(event, payload)`.
 */
export function createFakeRealtime({ connected = true } = {}) {
  const handlers = new Map()
  const answers = new Map()
  const fake = {
    connected,
    emitted: [],
    sent: [],
    start: () => () => {},
    isConnected: () => fake.connected,
    async emit(event, payload) {
      if (!fake.connected) throw new RealtimeError('offline')
      fake.emitted.push({ event, payload })
      const answer = answers.get(event)
      return answer ? answer(payload) : { ok: true }
    },
    send(event, payload) {
      if (fake.connected) fake.sent.push({ event, payload })
    },
    on(event, handler) {
      if (!handlers.has(event)) handlers.set(event, new Set())
      handlers.get(event).add(handler)
      return () => handlers.get(event).delete(handler)
    },
    answer(event, fn) {
      answers.set(event, fn)
    },
    push(event, payload) {
      for (const handler of handlers.get(event) ?? []) handler(payload)
    },
    emittedOf(event) {
      return fake.emitted.filter((entry) => entry.event === event).map((entry) => entry.payload)
    },
  }
  return fake
}
