/** Lists ALSA PCMs through the native addon (filled in by the audio-engine work). */
export async function listPcms(): Promise<number> {
  throw new Error('ALSA device listing needs the native ALSA addon, which is not built yet');
}
