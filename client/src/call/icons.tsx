import type { ComponentChildren } from 'preact';

/*
 * The call controls' pictures: a phone has room for a row of round buttons, not for their words. Drawn
 * with the text colour, hidden from screen readers: each button says what it does in words (see CallView).
 */

function Icon({ children }: { children: ComponentChildren }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
      {children}
    </svg>
  );
}

const Slash = () => <path d="M3 3l18 18" />;

export function MicrophoneIcon({ off }: { off?: boolean }) {
  return (
    <Icon>
      <rect x="9" y="2.5" width="6" height="12" rx="3" />
      <path d="M5.5 11a6.5 6.5 0 0 0 13 0M12 17.5V21M8.5 21h7" />
      {off && <Slash />}
    </Icon>
  );
}

export function CameraIcon({ off }: { off?: boolean }) {
  return (
    <Icon>
      <rect x="2.5" y="6.5" width="13" height="11" rx="2" />
      <path d="M15.5 10.5l6-3.5v10l-6-3.5z" />
      {off && <Slash />}
    </Icon>
  );
}

export function SwitchCameraIcon() {
  return (
    <Icon>
      <path d="M4 8.5h3l1.5-2.5h7L17 8.5h3v11H4z" />
      <path d="M9 14a3 3 0 0 1 5.2-2M15 13a3 3 0 0 1-5.2 2" />
      <path d="M14.5 10v2.2h-2.2M9.5 16.5v-2.2h2.2" />
    </Icon>
  );
}

export function ScreenIcon({ off }: { off?: boolean }) {
  return (
    <Icon>
      <rect x="2.5" y="4" width="19" height="13" rx="1.5" />
      <path d="M8 21h8M12 17v4" />
      {off ? <Slash /> : <path d="M12 14V8M9.2 10.6L12 8l2.8 2.6" />}
    </Icon>
  );
}

export function ChatIcon() {
  return (
    <Icon>
      <path d="M4 5h16v11H10l-4.5 4v-4H4z" />
    </Icon>
  );
}

export function DevicesIcon() {
  return (
    <Icon>
      <path d="M4 6h16M4 12h16M4 18h16" />
      <circle cx="9" cy="6" r="2" fill="currentColor" />
      <circle cx="15" cy="12" r="2" fill="currentColor" />
      <circle cx="7" cy="18" r="2" fill="currentColor" />
    </Icon>
  );
}

export function HangUpIcon() {
  return (
    <Icon>
      <path d="M3 14.5c5.3-4.6 12.7-4.6 18 0l-2.3 2.8-3.4-1.6v-2.4a10 10 0 0 0-6.6 0v2.4l-3.4 1.6z" fill="currentColor" />
    </Icon>
  );
}

export function CloseIcon() {
  return (
    <Icon>
      <path d="M6 6l12 12M18 6L6 18" />
    </Icon>
  );
}

/** The padlock of "end-to-end encrypted" (drawn: not every device has a font with the emoji). */
export function LockIcon() {
  return (
    <Icon>
      <rect x="5" y="10.5" width="14" height="10" rx="2" />
      <path d="M8 10.5V7.5a4 4 0 0 1 8 0v3" />
    </Icon>
  );
}
