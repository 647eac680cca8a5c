import { cx } from './cx.js'

// Small stroke icons, decorative by default (aria-hidden): the control that
// holds one says what it does in text or with aria-label.

function Icon({ className, children, viewBox = '0 0 24 24' }) {
  return (
    <svg
      aria-hidden="true"
      viewBox={viewBox}
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      className={cx('size-5 shrink-0', className)}
    >
      {children}
    </svg>
  )
}

export const CheckIcon = (props) => (
  <Icon {...props}>
    <path d="M4 12.5 9 17.5 20 6.5" />
  </Icon>
)

export const DoubleCheckIcon = (props) => (
  <Icon {...props} viewBox="0 0 28 24">
    <path d="M2 12.5 7 17.5 18 6.5" />
    <path d="M12 17.5 23 6.5" />
  </Icon>
)

export const ClockIcon = (props) => (
  <Icon {...props}>
    <circle cx="12" cy="12" r="8.5" />
    <path d="M12 7.5V12l3 2" />
  </Icon>
)

export const VideoIcon = (props) => (
  <Icon {...props}>
    <rect x="2.5" y="6" width="13" height="12" rx="2.5" />
    <path d="m15.5 10.5 6-3.5v10l-6-3.5" />
  </Icon>
)

export const VideoOffIcon = (props) => (
  <Icon {...props}>
    <path d="M15.5 13.5V8.5a2.5 2.5 0 0 0-2.5-2.5H8M4.5 6.3A2.5 2.5 0 0 0 2.5 8.5v7A2.5 2.5 0 0 0 5 18h8a2.5 2.5 0 0 0 2.2-1.3" />
    <path d="m15.5 10.5 6-3.5v10l-3-1.7" />
    <path d="M3 3l18 18" />
  </Icon>
)

export const MicIcon = (props) => (
  <Icon {...props}>
    <rect x="9" y="3" width="6" height="11" rx="3" />
    <path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21" />
  </Icon>
)

export const MicOffIcon = (props) => (
  <Icon {...props}>
    <path d="M15 9.5V6a3 3 0 0 0-5.8-1.1M9 9v2a3 3 0 0 0 4.7 2.5" />
    <path d="M18.5 11a6.5 6.5 0 0 1-1 3.4M5.5 11a6.5 6.5 0 0 0 10 5.5M12 17.5V21" />
    <path d="M3 3l18 18" />
  </Icon>
)

export const PhoneDownIcon = (props) => (
  <Icon {...props}>
    <path d="M3 14.5c5-4.7 13-4.7 18 0l-2.3 2.6-3.4-1.3v-2.6a11 11 0 0 0-6.6 0v2.6l-3.4 1.3Z" />
  </Icon>
)

export const PhoneIcon = (props) => (
  <Icon {...props}>
    <path d="M5 3.5h3.5l1.5 4.5-2.2 1.4a11 11 0 0 0 6.8 6.8L16 14l4.5 1.5V19a2 2 0 0 1-2 2A16.5 16.5 0 0 1 3 5.5a2 2 0 0 1 2-2Z" />
  </Icon>
)

export const ImageIcon = (props) => (
  <Icon {...props}>
    <rect x="3" y="4" width="18" height="16" rx="2.5" />
    <circle cx="9" cy="10" r="1.8" />
    <path d="m21 16-5-5-9 9" />
  </Icon>
)

export const SendIcon = (props) => (
  <Icon {...props}>
    <path d="M4 12 20 4l-5 16-3-7-8-1Z" />
    <path d="m12 13 8-9" />
  </Icon>
)

export const ArrowLeftIcon = (props) => (
  <Icon {...props}>
    <path d="M19 12H5M11 6l-6 6 6 6" />
  </Icon>
)

export const ArrowDownIcon = (props) => (
  <Icon {...props}>
    <path d="M12 5v14M6 13l6 6 6-6" />
  </Icon>
)

export const CloseIcon = (props) => (
  <Icon {...props}>
    <path d="M6 6l12 12M18 6 6 18" />
  </Icon>
)
