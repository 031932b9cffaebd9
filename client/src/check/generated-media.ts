/**
 * A picture and a tone made in the browser for the network test: moving coloured blocks the encoder has
 * to spend bits on (like a face that moves), and a quiet tone. Nothing from the camera or microphone.
 */
export function generatedMedia(): { video: MediaStreamTrack; audio: MediaStreamTrack; stop(): void } {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d')!;
  const block = 32;
  const paint = () => {
    for (let y = 0; y < canvas.height; y += block) {
      for (let x = 0; x < canvas.width; x += block) {
        g.fillStyle = `hsl(${Math.floor(Math.random() * 360)} 60% ${30 + Math.floor(Math.random() * 40)}%)`;
        g.fillRect(x, y, block, block);
      }
    }
  };
  paint();
  // A timer, not requestAnimationFrame: the test goes on if the tab is in the background.
  const timer = setInterval(paint, 1000 / 15);
  const video = canvas.captureStream(15).getVideoTracks()[0]!;

  const audioContext = new AudioContext();
  const oscillator = audioContext.createOscillator();
  const gain = audioContext.createGain();
  gain.gain.value = 0.05;
  const destination = audioContext.createMediaStreamDestination();
  oscillator.connect(gain).connect(destination);
  oscillator.start();
  const audio = destination.stream.getAudioTracks()[0]!;

  return {
    video,
    audio,
    stop() {
      clearInterval(timer);
      video.stop();
      audio.stop();
      oscillator.stop();
      void audioContext.close();
    },
  };
}
