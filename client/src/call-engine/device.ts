import { Device } from 'mediasoup-client';
import { prepareFramePipe } from './frame-pipe.ts';
import { prepareKeyPair } from './e2ee/call-encryption.ts';
import { prepareCertificate } from './dtls-certificate.ts';

let devicePromise: Promise<Device> | undefined;
let loaded: Device | undefined;

/** The Device once loaded, without waiting: a join that needs no await sends its request at once. */
export function loadedDevice(): Device | undefined {
  return loaded;
}

/**
 * Loads the SFU's codec capabilities into a mediasoup Device and makes the next call's key pair and DTLS
 * certificate. Call it early (while the visitor waits): having them ready takes round trips and key
 * generations off the admission.
 */
export function preloadDevice(): Promise<Device> {
  prepareFramePipe();
  prepareKeyPair();
  prepareCertificate();
  devicePromise ??= (async () => {
    const res = await fetch('/api/media/capabilities');
    if (!res.ok) throw new Error(`capabilities: HTTP ${res.status}`);
    const device = new Device();
    await device.load({ routerRtpCapabilities: await res.json() });
    loaded = device;
    return device;
  })();
  devicePromise.catch(() => (devicePromise = undefined));
  return devicePromise;
}
