// Sample format conversion between the device's interleaved integer/float frames and the mono
// float samples JS works with. Done natively so JS never touches device formats.
#pragma once
#include <alsa/asoundlib.h>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace vt {

// Capture: take channel `ch` of `frames` interleaved frames as float in [-1, 1).
inline void extractChannel(const void* in, snd_pcm_format_t fmt, unsigned channels, unsigned ch, float* out,
                           size_t frames) {
  switch (fmt) {
    case SND_PCM_FORMAT_S16_LE: {
      const int16_t* s = static_cast<const int16_t*>(in) + ch;
      for (size_t i = 0; i < frames; i++) out[i] = s[i * channels] / 32768.0f;
      break;
    }
    case SND_PCM_FORMAT_S32_LE: {
      const int32_t* s = static_cast<const int32_t*>(in) + ch;
      for (size_t i = 0; i < frames; i++) out[i] = static_cast<float>(s[i * channels] / 2147483648.0);
      break;
    }
    default: {  // FLOAT_LE
      const float* s = static_cast<const float*>(in) + ch;
      for (size_t i = 0; i < frames; i++) out[i] = s[i * channels];
      break;
    }
  }
}

// Full-scale integer from float, rounded to nearest and clamped (1.0 must not wrap to -32768).
template <typename I>
inline I toInt(float x, double scale, double lo, double hi) {
  double v = std::nearbyint(static_cast<double>(x) * scale);
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return static_cast<I>(v);
}

// Playback: write mono float samples into every channel of `frames` interleaved frames.
inline void fillInterleaved(const float* in, snd_pcm_format_t fmt, unsigned channels, void* out, size_t frames) {
  switch (fmt) {
    case SND_PCM_FORMAT_S16_LE: {
      int16_t* d = static_cast<int16_t*>(out);
      for (size_t i = 0; i < frames; i++) {
        int16_t v = toInt<int16_t>(in[i], 32768.0, -32768.0, 32767.0);
        for (unsigned c = 0; c < channels; c++) d[i * channels + c] = v;
      }
      break;
    }
    case SND_PCM_FORMAT_S32_LE: {
      int32_t* d = static_cast<int32_t*>(out);
      for (size_t i = 0; i < frames; i++) {
        int32_t v = toInt<int32_t>(in[i], 2147483648.0, -2147483648.0, 2147483647.0);
        for (unsigned c = 0; c < channels; c++) d[i * channels + c] = v;
      }
      break;
    }
    default: {
      float* d = static_cast<float*>(out);
      for (size_t i = 0; i < frames; i++) {
        float v = in[i] < -1.0f ? -1.0f : (in[i] > 1.0f ? 1.0f : in[i]);
        for (unsigned c = 0; c < channels; c++) d[i * channels + c] = v;
      }
      break;
    }
  }
}

}  // namespace vt
