import { vi } from 'vitest'

// Test doubles for WebRTC: a peer connection and a camera that do nothing
// but remember what they were asked, and let the test play the network.

function fakeTrack(kind) {
  return { kind, enabled: true, stop: vi.fn(), applyConstraints: vi.fn(async () => {}) }
}

export function fakeMediaDevices({ error = null } = {}) {
  const streams = []
  return {
    streams,
    getUserMedia: vi.fn(async () => {
      if (error) throw error
      const tracks = [fakeTrack('audio'), fakeTrack('video')]
      const stream = {
        getTracks: () => tracks,
        getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
        getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
      }
      streams.push(stream)
      return stream
    }),
  }
}

export class FakePeerConnection {
  static instances = []

  constructor(config) {
    this.config = config
    this.senders = []
    this.remoteCandidates = []
    this.connectionState = 'new'
    FakePeerConnection.instances.push(this)
  }

  addTrack(track) {
    const parameters = { encodings: [{}] }
    this.senders.push({ track, getParameters: () => parameters, setParameters: vi.fn(async () => {}), parameters })
  }

  getSenders() {
    return this.senders
  }

  async createOffer() {
    return { type: 'offer', sdp: 'v=0 offer' }
  }

  async createAnswer() {
    return { type: 'answer', sdp: 'v=0 answer' }
  }

  async setLocalDescription(description) {
    this.localDescription = description
  }

  async setRemoteDescription(description) {
    this.remoteDescription = description
  }

  async addIceCandidate(candidate) {
    this.remoteCandidates.push(candidate)
  }

  close() {
    this.connectionState = 'closed'
  }

  // The network, played by the test.
  gather(candidate) {
    this.onicecandidate?.({ candidate: { toJSON: () => candidate } })
  }

  setState(state) {
    this.connectionState = state
    this.onconnectionstatechange?.()
  }

  receive(stream) {
    this.ontrack?.({ streams: [stream], track: {} })
  }
}

export const flush = () => new Promise((resolve) => setTimeout(resolve, 0))
