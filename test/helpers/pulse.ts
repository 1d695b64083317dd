/** The private PulseAudio server of the paced ALSA tests (it lives in src/ so the audio bench can use it too). */
export { type PulseServer, startPulse } from '../../src/audio/alsa/pulse-server.js';
