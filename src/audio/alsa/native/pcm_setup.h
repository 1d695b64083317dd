// Opening one ALSA PCM with the hardware/software parameters the engine needs.
#pragma once
#include <alsa/asoundlib.h>
#include <string>

namespace vt {

struct PcmRequest {
  std::string name;
  snd_pcm_stream_t stream;
  snd_pcm_format_t format;
  unsigned channels;
  unsigned rate;
  snd_pcm_uframes_t periodFrames;
  unsigned periods;
};

struct PcmSetup {
  snd_pcm_uframes_t period = 0;
  snd_pcm_uframes_t buffer = 0;
};

// Opens `req.name` non-blocking with interleaved access and exactly the requested format, channels
// and rate (a device that cannot do them is an error, not a silent resample). Period and buffer
// are "near" requests; the granted sizes come back in *setup. Streams are never started by ALSA
// on their own (start_threshold beyond the buffer): the engine starts them after a prefill, both
// at once when they are linked. Returns 0 or a negative errno, with *what naming the failed step.
int openPcm(const PcmRequest& req, snd_pcm_t** out, PcmSetup* setup, std::string* what);

}  // namespace vt
