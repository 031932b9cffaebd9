import { canEncryptFrames } from '../call-engine/frame-pipe.ts';

/** Whether this browser can take part in a call: WebRTC, and frame encryption (every call is end-to-end encrypted). */
export function browserCanJoin(): boolean {
  return typeof RTCPeerConnection === 'function' && !!navigator.mediaDevices?.getUserMedia && canEncryptFrames();
}

/**
 * "Chrome 131 on Windows": what the professional sees of the visitor's browser, so they know what to
 * suggest when something does not work. Never device labels (they can hold people's names).
 */
export function browserName(ua = navigator.userAgent): string {
  const version = (re: RegExp) => re.exec(ua)?.[1]?.split('.')[0] ?? '';
  const browser = /Edg\//.test(ua)
    ? `Edge ${version(/Edg\/([\d.]+)/)}`
    : /SamsungBrowser\//.test(ua)
      ? `Samsung Internet ${version(/SamsungBrowser\/([\d.]+)/)}`
      : /Firefox\//.test(ua)
        ? `Firefox ${version(/Firefox\/([\d.]+)/)}`
        : /Chrome\//.test(ua)
          ? `Chrome ${version(/Chrome\/([\d.]+)/)}`
          : /Safari\//.test(ua)
            ? `Safari ${version(/Version\/([\d.]+)/)}`
            : 'Another browser';
  const system = /Windows/.test(ua)
    ? 'Windows'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac OS X/.test(ua)
        ? 'macOS'
        : /Android/.test(ua)
          ? 'Android'
          : /Linux/.test(ua)
            ? 'Linux'
            : '';
  return `${browser.trim()}${system ? ` on ${system}` : ''}`.slice(0, 60);
}
