/** Calls `onLevel` with the microphone's level (0..1) about 20 times a second; returns a stop function. */
export function startLevelMeter(track: MediaStreamTrack, onLevel: (level: number) => void): () => void {
  const context = new AudioContext();
  const source = context.createMediaStreamSource(new MediaStream([track]));
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const timer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    // RMS to a 0..1 scale that moves visibly for speech (about -50 dB .. 0 dB).
    const db = 10 * Math.log10(sum / samples.length || 1e-10);
    onLevel(Math.max(0, Math.min(1, (db + 50) / 50)));
  }, 50);
  void context.resume();
  return () => {
    clearInterval(timer);
    source.disconnect();
    void context.close();
  };
}
