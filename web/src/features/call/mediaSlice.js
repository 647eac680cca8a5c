import { createSlice } from '@reduxjs/toolkit'
import { incomingCallAccepted, outgoingCallStarted } from './callSlice.js'

/**
 * This side's camera and microphone in a call: microphone on/off, camera
 * on/off, and the video quality it sends. Every call starts with both on;
 * the quality is kept between calls.
 */
export const QUALITIES = {
  hd: { label: '720p', width: 1280, height: 720, frameRate: 30, maxBitrate: 2_500_000 },
  sd: { label: '360p (data saver)', width: 640, height: 360, frameRate: 24, maxBitrate: 500_000 },
}

const initialState = { micOn: true, cameraOn: true, quality: 'hd' }

const mediaSlice = createSlice({
  name: 'media',
  initialState,
  reducers: {
    micSwitched(state, { payload: on }) {
      state.micOn = on
    },
    cameraSwitched(state, { payload: on }) {
      state.cameraOn = on
    },
    qualityChosen(state, { payload: quality }) {
      if (QUALITIES[quality]) state.quality = quality
    },
  },
  extraReducers(builder) {
    const freshCall = (state) => {
      state.micOn = true
      state.cameraOn = true
    }
    builder.addCase(outgoingCallStarted, freshCall).addCase(incomingCallAccepted, freshCall)
  },
  selectors: {
    selectMedia: (media) => media,
  },
})

export const { micSwitched, cameraSwitched, qualityChosen } = mediaSlice.actions
export const { selectMedia } = mediaSlice.selectors
export const mediaReducer = mediaSlice.reducer
