export type MediaSource = 'microphone' | 'camera';
