#include "pcm_setup.h"

namespace vt {

namespace {
// Run one ALSA call; on failure record which step failed and bail out.
#define VT_TRY(step, call)     \
  do {                         \
    int e_ = (call);           \
    if (e_ < 0) {              \
      *what = step;            \
      snd_pcm_close(pcm);      \
      return e_;               \
    }                          \
  } while (0)
}  // namespace

int openPcm(const PcmRequest& req, snd_pcm_t** out, PcmSetup* setup, std::string* what) {
  snd_pcm_t* pcm = nullptr;
  int err = snd_pcm_open(&pcm, req.name.c_str(), req.stream, SND_PCM_NONBLOCK);
  if (err < 0) {
    *what = "open";
    return err;
  }
  snd_pcm_hw_params_t* hw;
  snd_pcm_hw_params_alloca(&hw);
  VT_TRY("hw_params_any", snd_pcm_hw_params_any(pcm, hw));
  VT_TRY("access RW_INTERLEAVED", snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED));
  VT_TRY(std::string("format ") + snd_pcm_format_name(req.format), snd_pcm_hw_params_set_format(pcm, hw, req.format));
  VT_TRY("channels " + std::to_string(req.channels), snd_pcm_hw_params_set_channels(pcm, hw, req.channels));
  VT_TRY("rate " + std::to_string(req.rate), snd_pcm_hw_params_set_rate(pcm, hw, req.rate, 0));
  snd_pcm_uframes_t period = req.periodFrames;
  int dir = 0;
  VT_TRY("period size", snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, &dir));
  snd_pcm_uframes_t buffer = period * req.periods;
  VT_TRY("buffer size", snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer));
  VT_TRY("hw_params", snd_pcm_hw_params(pcm, hw));
  snd_pcm_hw_params_get_period_size(hw, &period, &dir);
  snd_pcm_hw_params_get_buffer_size(hw, &buffer);

  snd_pcm_sw_params_t* sw;
  snd_pcm_sw_params_alloca(&sw);
  snd_pcm_uframes_t boundary = 0;
  VT_TRY("sw_params_current", snd_pcm_sw_params_current(pcm, sw));
  snd_pcm_sw_params_get_boundary(sw, &boundary);
  VT_TRY("start threshold", snd_pcm_sw_params_set_start_threshold(pcm, sw, boundary));
  VT_TRY("avail min", snd_pcm_sw_params_set_avail_min(pcm, sw, period));
  VT_TRY("sw_params", snd_pcm_sw_params(pcm, sw));
  VT_TRY("prepare", snd_pcm_prepare(pcm));
  setup->period = period;
  setup->buffer = buffer;
  *out = pcm;
  return 0;
}

}  // namespace vt
