/*
 * The floor's page (bench:admit, see admit-floor.ts): one side of the smallest mediasoup call there is.
 * Before the admission the camera and microphone are on and the Device is loaded; at the admission the
 * server hands over both transports, this page sends its tracks and receives the other side's. No
 * login, no encryption, no framework: whatever our admission takes beyond this page's is ours.
 */
import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import { io } from 'socket.io-client';
import type { FloorClientEvents, FloorConsumer, FloorServerEvents, FloorTransports, FloorWindow } from './admit-floor-protocol.ts';
import type { Socket } from 'socket.io-client';
import { AUDIO, VIDEO } from '../../client/src/call-engine/local-media.ts';
import { mark } from '../../client/src/call-engine/marks.ts';

const role = new URLSearchParams(location.search).get('role') === 'professional' ? 'professional' : 'visitor';
const page = window as FloorWindow;
page.__remoteFrames = [];

const socket: Socket<FloorServerEvents, FloorClientEvents> = io('/floor', { transports: ['websocket'], query: { role } });
const device = new Device();
let stream: MediaStream;
let sendTransport: types.Transport | undefined;
let recvTransport: types.Transport | undefined;

async function ready(): Promise<void> {
  const [media, routerRtpCapabilities] = await Promise.all([
    // The camera and microphone as a call opens them: the same frames to encode.
    navigator.mediaDevices.getUserMedia({ video: VIDEO, audio: AUDIO }),
    new Promise<types.RtpCapabilities>((resolve) => socket.emit('capabilities', resolve)),
  ]);
  stream = media;
  const preview = document.createElement('video');
  Object.assign(preview, { muted: true, autoplay: true, playsInline: true, srcObject: stream });
  document.body.append(preview);
  await device.load({ routerRtpCapabilities });
  await new Promise<void>((resolve) => socket.emit('ready', device.rtpCapabilities, resolve));
  page.__ready = true;
}

socket.on('start', (transports: FloorTransports) => {
  mark('started');
  sendTransport = device.createSendTransport(transports.send);
  recvTransport = device.createRecvTransport(transports.recv);
  // The same step marks as our call engine's (client/src/call-engine/marks.ts), so the bench can set the
  // floor's steps beside ours.
  for (const t of [sendTransport, recvTransport]) {
    t.on('connect', ({ dtlsParameters }, done) => {
      mark(`${t.direction}-transport-connect`);
      socket.emit('connect-transport', { transportId: t.id, dtlsParameters }, () => done());
    });
    t.on('connectionstatechange', (state) => mark(`${t.direction}-transport-${state}`));
  }
  sendTransport.on('produce', ({ kind, rtpParameters }, done) =>
    socket.emit('produce', { kind, rtpParameters }, (id) => {
      mark(`produced-${kind}`);
      done({ id });
    }),
  );
  const send = sendTransport;
  for (const track of stream.getTracks()) void send.produce({ track, stopTracks: false });
});

socket.on('consume', async (info: FloorConsumer) => {
  mark(`consume-${info.kind}`);
  const consumer = await recvTransport!.consume(info);
  if (consumer.kind === 'video') {
    const video = document.createElement('video');
    Object.assign(video, { muted: true, autoplay: true, playsInline: true, srcObject: new MediaStream([consumer.track]) });
    video.className = 'remote';
    video.requestVideoFrameCallback((_, frame) => page.__remoteFrames.push(presentedAt(frame)));
    document.body.append(video);
  }
  mark(`created-${consumer.kind}`);
  socket.emit('resume', consumer.id);
});

socket.on('end', () => {
  sendTransport?.close();
  recvTransport?.close();
  sendTransport = recvTransport = undefined;
  for (const v of document.querySelectorAll('video.remote')) v.remove();
  page.__ended = true;
});

/** When the frame was handed to the compositor, as epoch ms (as ours is measured: admit.ts). */
function presentedAt(frame: VideoFrameCallbackMetadata): number {
  return Date.now() - (performance.now() - frame.presentationTime);
}

page.admit = () => {
  page.__clickedAt = Date.now();
  socket.emit('admit');
};
page.end = () => socket.emit('end');

void ready();
