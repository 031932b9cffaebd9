import { MadeAhead } from './made-ahead.ts';
import type { types } from 'mediasoup-client';

const canMake = typeof RTCPeerConnection !== 'undefined' && typeof RTCPeerConnection.generateCertificate === 'function';
const nextCertificate = new MadeAhead(() => RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams));

/**
 * Makes the next call's DTLS certificate ahead of it (while the visitor waits). Its fingerprint then goes
 * with the join, the server connects both transports in the join itself, and the browser skips the
 * connect request before its first media. A browser that cannot make one joins as before.
 */
export function prepareCertificate(): void {
  if (canMake) nextCertificate.prepare();
}

/**
 * The prepared certificate if it is made, for one call only (no certificate links two calls); the next
 * one is started at once for the call after.
 */
export function takeCertificate(): RTCCertificate | undefined {
  const certificate = nextCertificate.takeMade();
  if (certificate) prepareCertificate();
  return certificate;
}

/**
 * The DTLS parameters a transport with this certificate announces (mediasoup-client's connect event: the
 * browser is the DTLS client). mediasoup compares fingerprints as upper-case hex, as SDP writes them.
 */
export function dtlsParametersOf(certificate: RTCCertificate): types.DtlsParameters {
  return {
    role: 'client',
    fingerprints: certificate.getFingerprints().map((f) => ({ algorithm: f.algorithm as types.FingerprintAlgorithm, value: (f.value ?? '').toUpperCase() })),
  };
}

/** Whether a transport's connect announces the role and a fingerprint the join sent already. */
export function sameDtls(announced: types.DtlsParameters, sent: types.DtlsParameters): boolean {
  const sentOnes = new Set(sent.fingerprints.map((f) => `${f.algorithm} ${f.value.toUpperCase()}`));
  return announced.role === sent.role && announced.fingerprints.some((f) => sentOnes.has(`${f.algorithm} ${f.value.toUpperCase()}`));
}
