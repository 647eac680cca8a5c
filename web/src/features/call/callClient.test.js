import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { realtimeConnected, realtimeDisconnected } from '../../app/realtimeEvents.js'
import { makeStore } from '../../app/store.js'
import { createFakeRealtime } from '../../test/fakeRealtime.js'
import { ME, RAVI } from '../../test/fixtures.js'
import { createCallClient } from './callClient.js'
import { FakePeerConnection, fakeMediaDevices, flush } from '../../test/webrtcDoubles.js'
import { ICE_POLICY_KEY } from './icePolicy.js'

const ICE = [{ urls: ['stun:127.0.0.1:3478'] }]
const CALL = '65f1c0ffee00000000000ca1'

function setup({ mediaError } = {}) {
  const realtime = createFakeRealtime()
  const store = makeStore({ auth: { token: 't', user: { id: ME }, expired: false } }, { realtime, storage: null })
  store.dispatch(realtimeConnected())
  const mediaDevices = fakeMediaDevices({ error: mediaError })
  const client = createCallClient({
    store,
    realtime,
    getIceServers: async () => ICE,
    mediaDevices,
    PeerConnection: FakePeerConnection,
    target: null,
  })
  const call = () => store.getState().call
  const pc = () => FakePeerConnection.instances.at(-1)
  return { realtime, store, mediaDevices, client, call, pc }
}

beforeEach(() => {
  FakePeerConnection.instances = []
})
afterEach(() => localStorage.clear())

describe('placing a call', () => {
  it('offers, rings, connects on the answer, exchanges ICE, and hangs up', async () => {
    const { realtime, client, call, pc, mediaDevices } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    const placing = client.place(RAVI)
    expect(call()).toMatchObject({ phase: 'preparing', direction: 'outgoing', peerId: RAVI })
    await placing

    const [constraints] = mediaDevices.getUserMedia.mock.calls[0]
    expect(constraints).toEqual({ audio: true, video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } })
    expect(pc().config).toEqual({ iceServers: ICE, iceTransportPolicy: 'all' })
    expect(realtime.emittedOf('signal-offer')).toEqual([{ to: RAVI, sdp: 'v=0 offer', media: { video: true } }])
    expect(call()).toMatchObject({ phase: 'ringing', callId: CALL })

    pc().gather({ candidate: 'candidate:1', sdpMid: '0' })
    expect(realtime.emittedOf('signal-ice')).toEqual([{ to: RAVI, callId: CALL, candidate: { candidate: 'candidate:1', sdpMid: '0' } }])

    realtime.push('signal-ice', { from: RAVI, callId: CALL, candidate: { candidate: 'early' } }) // before the answer: kept
    realtime.push('signal-answer', { from: RAVI, callId: CALL, sdp: 'v=0 answer' })
    await flush()
    expect(pc().remoteDescription).toEqual({ type: 'answer', sdp: 'v=0 answer' })
    expect(pc().remoteCandidates).toEqual([{ candidate: 'early' }])
    expect(call().phase).toBe('connecting')

    pc().setState('connected')
    expect(call()).toMatchObject({ phase: 'active', connectedAt: expect.any(Number) })

    const local = mediaDevices.streams[0]
    client.hangUp()
    expect(realtime.emittedOf('call-end')).toEqual([{ to: RAVI, callId: CALL }])
    expect(call()).toMatchObject({ phase: 'ended', endReason: 'hangup' })
    expect(pc().connectionState).toBe('closed')
    for (const track of local.getTracks()) expect(track.stop).toHaveBeenCalled()
  })

  it('sends candidates found before the offer was acknowledged once the callId is known', async () => {
    const { realtime, client, pc } = setup()
    let resolveAck
    realtime.answer('signal-offer', () => new Promise((resolve) => (resolveAck = resolve)))
    const placing = client.place(RAVI)
    await vi.waitFor(() => expect(resolveAck).toBeTypeOf('function'))
    pc().gather({ candidate: 'c1' })
    expect(realtime.emittedOf('signal-ice')).toEqual([])
    resolveAck({ ok: true, callId: CALL })
    await placing
    expect(realtime.emittedOf('signal-ice')).toEqual([{ to: RAVI, callId: CALL, candidate: { candidate: 'c1' } }])
  })

  it.each([
    ['busy', 'busy'],
    ['offline', 'offline'],
    ['forbidden', 'forbidden'],
  ])('ends with "%s" when the server refuses the offer so', async (code, reason) => {
    const { realtime, client, call } = setup()
    realtime.answer('signal-offer', () => ({ ok: false, error: { code, message: code } }))
    await client.place(RAVI)
    expect(call()).toMatchObject({ phase: 'ended', endReason: reason })
  })

  it.each([
    ['timeout', 'timeout'],
    ['hangup', 'remote-hangup'],
    ['disconnected', 'disconnected'],
  ])('ends when the server says call-end "%s"', async (serverReason, reason) => {
    const { realtime, client, call } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    await client.place(RAVI)
    realtime.push('call-end', { from: RAVI, callId: 'someone-else', reason: serverReason })
    expect(call().phase).toBe('ringing')
    realtime.push('call-end', { from: RAVI, callId: CALL, reason: serverReason })
    expect(call()).toMatchObject({ phase: 'ended', endReason: reason })
  })

  it('ends with "declined" when the callee declines', async () => {
    const { realtime, client, call } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    await client.place(RAVI)
    realtime.push('call-decline', { from: RAVI, callId: CALL, reason: 'declined' })
    expect(call().endReason).toBe('declined')
  })

  it('says when the camera or microphone is refused', async () => {
    const { client, call, realtime } = setup({ mediaError: Object.assign(new Error('denied'), { name: 'NotAllowedError' }) })
    await client.place(RAVI)
    expect(call()).toMatchObject({ phase: 'ended', endReason: 'media-denied' })
    expect(realtime.emittedOf('signal-offer')).toEqual([])
  })

  it('says so at once when there is no realtime connection, without turning the camera on', async () => {
    const { realtime, client, call, mediaDevices } = setup()
    realtime.connected = false
    await client.place(RAVI)
    expect(call()).toMatchObject({ phase: 'ended', endReason: 'not-connected' })
    expect(mediaDevices.getUserMedia).not.toHaveBeenCalled()
  })

  it('uses only the relay when the relay flag is set', async () => {
    localStorage.setItem(ICE_POLICY_KEY, 'relay')
    const { realtime, client, pc } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    await client.place(RAVI)
    expect(pc().config.iceTransportPolicy).toBe('relay')
  })

  it('ends the call when this side loses the realtime connection (the server ends it too)', async () => {
    const { realtime, store, client, call } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    await client.place(RAVI)
    store.dispatch(realtimeDisconnected({ reason: 'transport close', reconnecting: true }))
    expect(call()).toMatchObject({ phase: 'ended', endReason: 'disconnected' })
  })

  it('switches microphone and camera and lowers the quality', async () => {
    const { realtime, client, store, mediaDevices, pc } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    await client.place(RAVI)
    const [audio, video] = mediaDevices.streams[0].getTracks()
    client.setMic(false)
    client.setCamera(false)
    expect([audio.enabled, video.enabled]).toEqual([false, false])
    expect(store.getState().media).toMatchObject({ micOn: false, cameraOn: false })
    await client.setQuality('sd')
    expect(video.applyConstraints).toHaveBeenCalledWith({ width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } })
    const sender = pc().senders.find((s) => s.track.kind === 'video')
    expect(sender.parameters.encodings[0].maxBitrate).toBe(500000)
  })
})

describe('receiving a call', () => {
  const offer = { from: RAVI, sdp: 'v=0 offer', callId: CALL, media: { video: true } }

  it('rings, and accepting answers it', async () => {
    const { realtime, client, call, pc } = setup()
    realtime.push('signal-offer', offer)
    expect(call()).toMatchObject({ phase: 'incoming', peerId: RAVI, callId: CALL })

    realtime.push('signal-ice', { from: RAVI, callId: CALL, candidate: { candidate: 'c' } })
    await client.accept()
    expect(pc().remoteDescription).toEqual({ type: 'offer', sdp: 'v=0 offer' })
    expect(pc().remoteCandidates).toEqual([{ candidate: 'c' }])
    expect(realtime.emittedOf('signal-answer')).toEqual([{ to: RAVI, sdp: 'v=0 answer', callId: CALL }])
    expect(call().phase).toBe('connecting')

    pc().gather({ candidate: 'mine' })
    expect(realtime.emittedOf('signal-ice')).toEqual([{ to: RAVI, callId: CALL, candidate: { candidate: 'mine' } }])
    pc().setState('connected')
    expect(call().phase).toBe('active')
    realtime.push('call-end', { from: RAVI, callId: CALL, reason: 'hangup' })
    expect(call()).toMatchObject({ phase: 'ended', endReason: 'remote-hangup' })
  })

  it('declining tells the caller and stops the ringing', () => {
    const { realtime, client, call } = setup()
    realtime.push('signal-offer', offer)
    client.decline()
    return vi.waitFor(() => {
      expect(realtime.emittedOf('call-decline')).toEqual([{ to: RAVI, callId: CALL, reason: 'declined' }])
      expect(call().phase).toBe('idle')
    })
  })

  it.each(['call-answered-elsewhere', 'call-declined-elsewhere'])('stops ringing on %s', (event) => {
    const { realtime, call } = setup()
    realtime.push('signal-offer', offer)
    realtime.push(event, { callId: CALL })
    expect(call().phase).toBe('idle')
  })

  it('stops ringing when the caller gives up (or the ring times out)', () => {
    const { realtime, call } = setup()
    realtime.push('signal-offer', offer)
    realtime.push('call-end', { from: RAVI, callId: CALL, reason: 'timeout' })
    expect(call().phase).toBe('idle')
  })

  it('ignores a second offer while in a call', async () => {
    const { realtime, client, call } = setup()
    realtime.answer('signal-offer', () => ({ ok: true, callId: CALL }))
    await client.place(RAVI)
    realtime.push('signal-offer', { ...offer, from: '65f1c0ffee0000000000cccc', callId: 'other' })
    expect(call()).toMatchObject({ phase: 'ringing', peerId: RAVI })
  })
})
