import { useId } from 'react'
import { useAppSelector } from '../../app/hooks.js'
import { MicIcon, MicOffIcon, PhoneDownIcon, VideoIcon, VideoOffIcon, cx } from '../../components/ui/index.js'
import { QUALITIES, selectMedia } from './mediaSlice.js'

function RoundButton({ pressed, danger, className, children, ...props }) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      className={cx(
        'inline-flex size-12 items-center justify-center rounded-full transition-colors sm:size-14',
        danger ? 'bg-danger text-panel hover:opacity-90' : pressed ? 'bg-ink text-panel' : 'bg-panel text-ink ring-1 ring-line hover:bg-canvas',
        className,
      )}
      {...props}
    >
      {children}
    </button>
  )
}

/** Mute, camera, quality and hang-up for the call in progress. */
export function CallControls({ client }) {
  const { micOn, cameraOn, quality } = useAppSelector(selectMedia)
  const qualityId = useId()
  return (
    <div className="flex flex-wrap items-center justify-center gap-3 sm:gap-4">
      <RoundButton pressed={!micOn} onClick={() => client.setMic(!micOn)} aria-label="Mute microphone" title={micOn ? 'Mute' : 'Unmute'}>
        {micOn ? <MicIcon /> : <MicOffIcon />}
      </RoundButton>
      <RoundButton
        pressed={!cameraOn}
        onClick={() => client.setCamera(!cameraOn)}
        aria-label="Turn camera off"
        title={cameraOn ? 'Turn camera off' : 'Turn camera on'}
      >
        {cameraOn ? <VideoIcon /> : <VideoOffIcon />}
      </RoundButton>
      <div className="flex flex-col items-start">
        <label htmlFor={qualityId} className="text-xs font-medium text-on-stage">
          Video quality
        </label>
        <select
          id={qualityId}
          value={quality}
          onChange={(event) => client.setQuality(event.target.value)}
          className="rounded-lg border border-control bg-panel px-2 py-1.5 text-sm text-ink"
        >
          {Object.entries(QUALITIES).map(([key, { label }]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <RoundButton danger onClick={() => client.hangUp()} aria-label="Hang up" title="Hang up">
        <PhoneDownIcon />
      </RoundButton>
    </div>
  )
}
