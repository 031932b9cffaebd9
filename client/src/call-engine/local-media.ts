/**
 * The visitor's or professional's own camera and microphone: opened once on the device-check screen and
 * kept through the waiting room into the call, so admission does not wait for getUserMedia.
 */

export type DeviceProblem = 'denied' | 'not_found' | 'failed';

export interface MediaDevices {
  cameras: MediaDeviceInfo[];
  microphones: MediaDeviceInfo[];
}

export interface DevicePreference {
  cameraId?: string;
  microphoneId?: string;
}

// Modest by default: a consultation needs a face, not 1080p, and it keeps both ends' CPUs cool.
// (bench:admit's floor opens the camera with these too, so that it encodes what a call does.)
export const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } };
export const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

type TrackListener = (kind: 'audio' | 'video', track: MediaStreamTrack | null) => void;

/** Which way a phone's camera looks: at the person holding it, or away from them. */
export type CameraFacing = 'user' | 'environment';

export class LocalMedia {
  readonly stream = new MediaStream();
  private readonly listeners = new Set<TrackListener>();
  cameraProblem?: DeviceProblem;
  microphoneProblem?: DeviceProblem;

  /** Opens camera and microphone; a missing or refused camera leaves an audio-only LocalMedia. */
  static async open(pref: DevicePreference = {}): Promise<LocalMedia> {
    const media = new LocalMedia();
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: withDevice(AUDIO, pref.microphoneId), video: withDevice(VIDEO, pref.cameraId) });
      for (const t of s.getTracks()) media.stream.addTrack(t);
      return media;
    } catch {
      // Try each kind alone, so one refused or missing device does not cost the other.
    }
    await media.tryOpen('audio', pref.microphoneId);
    await media.tryOpen('video', pref.cameraId);
    return media;
  }

  get audioTrack(): MediaStreamTrack | undefined {
    return this.stream.getAudioTracks()[0];
  }

  get videoTrack(): MediaStreamTrack | undefined {
    return this.stream.getVideoTracks()[0];
  }

  onTrackChange(listener: TrackListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async devices(): Promise<MediaDevices> {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
      microphones: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
    };
  }

  /** Switches to another camera or microphone; listeners (the call engine) swap the track being sent. */
  async use(kind: 'audio' | 'video', deviceId: string): Promise<void> {
    const s = await navigator.mediaDevices.getUserMedia(
      kind === 'audio' ? { audio: withDevice(AUDIO, deviceId) } : { video: withDevice(VIDEO, deviceId) },
    );
    const track = s.getTracks()[0]!;
    this.replace(kind, track);
  }

  /**
   * The other camera: on a phone the one facing the other way (`facingMode`), elsewhere (a laptop with a
   * second camera, which tells no facing), or if no camera faces the other way, the next camera in the
   * list. Answers the camera's device id, to be remembered. The track changes, not the stream: listeners
   * (the call engine) replace the track of the producer already sending, so frame encryption stays on the
   * same sender. The old camera is stopped first: most phones cannot have both cameras open at once. If no
   * other camera can be opened, the old one comes back and the error is thrown.
   */
  async switchCamera(): Promise<string | undefined> {
    const old = this.videoTrack;
    if (!old) return undefined;
    const settings = old.getSettings();
    const facesKnown = (old.getCapabilities?.().facingMode ?? []).length > 0 || !!settings.facingMode;
    const facing: CameraFacing = settings.facingMode === 'environment' ? 'user' : 'environment';
    const cameras = (await this.devices()).cameras;
    const next = cameras.length > 1 ? cameras[(cameras.findIndex((c) => c.deviceId === settings.deviceId) + 1) % cameras.length] : undefined;
    const tries: MediaTrackConstraints[] = [];
    if (facesKnown) tries.push({ ...VIDEO, facingMode: { exact: facing } });
    if (next) tries.push(withDevice(VIDEO, next.deviceId));
    old.stop();
    let failure: unknown = new DOMException('no other camera', 'NotFoundError');
    for (const video of tries) {
      try {
        const track = (await navigator.mediaDevices.getUserMedia({ video })).getVideoTracks()[0]!;
        this.replace('video', track);
        return track.getSettings().deviceId;
      } catch (error) {
        failure = error;
      }
    }
    await this.tryOpen('video', settings.deviceId);
    throw failure;
  }

  /** Turning the camera off stops it (the camera light goes out), rather than just sending black. */
  async setCameraOn(on: boolean): Promise<void> {
    if (!on) {
      const old = this.videoTrack;
      const deviceId = old?.getSettings().deviceId;
      this.lastCameraId = deviceId ?? this.lastCameraId;
      this.replace('video', null);
      return;
    }
    if (this.videoTrack) return;
    await this.tryOpen('video', this.lastCameraId);
  }

  stop(): void {
    for (const t of this.stream.getTracks()) t.stop();
    for (const t of this.stream.getTracks()) this.stream.removeTrack(t);
  }

  private lastCameraId?: string;

  private async tryOpen(kind: 'audio' | 'video', deviceId?: string): Promise<void> {
    try {
      const s = await navigator.mediaDevices.getUserMedia(kind === 'audio' ? { audio: withDevice(AUDIO, deviceId) } : { video: withDevice(VIDEO, deviceId) });
      this.replace(kind, s.getTracks()[0]!);
      if (kind === 'audio') this.microphoneProblem = undefined;
      else this.cameraProblem = undefined;
    } catch (error) {
      const problem = classify(error);
      if (kind === 'audio') this.microphoneProblem = problem;
      else this.cameraProblem = problem;
    }
  }

  private replace(kind: 'audio' | 'video', track: MediaStreamTrack | null): void {
    const old = kind === 'audio' ? this.audioTrack : this.videoTrack;
    if (old) {
      this.stream.removeTrack(old);
      old.stop();
    }
    if (track) this.stream.addTrack(track);
    for (const l of this.listeners) l(kind, track);
  }
}

function withDevice(base: MediaTrackConstraints, deviceId?: string): MediaTrackConstraints {
  return deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
}

function classify(error: unknown): DeviceProblem {
  const name = (error as DOMException)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'not_found';
  return 'failed';
}
