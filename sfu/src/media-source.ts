export type MediaSource = 'microphone' | 'camera' | 'screen';
