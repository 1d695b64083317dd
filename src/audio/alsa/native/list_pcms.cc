#include "list_pcms.h"

#include <alsa/asoundlib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "alsa_errors.h"

namespace vt {

namespace {

const unsigned kRates[] = {8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000, 88200, 96000};
const snd_pcm_format_t kFormats[] = {SND_PCM_FORMAT_S16_LE, SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_FLOAT_LE};

PcmCaps probe(const std::string& name, snd_pcm_stream_t stream) {
  PcmCaps caps;
  snd_pcm_t* pcm = nullptr;
  int err = snd_pcm_open(&pcm, name.c_str(), stream, SND_PCM_NONBLOCK);
  if (err < 0) {
    caps.error = snd_strerror(err);
    std::string diag = takeAlsaDiagnostic();
    if (!diag.empty()) caps.error += " (" + diag + ")";
    return caps;
  }
  snd_pcm_hw_params_t* hw;
  snd_pcm_hw_params_alloca(&hw);
  if ((err = snd_pcm_hw_params_any(pcm, hw)) < 0) {
    caps.error = snd_strerror(err);
    snd_pcm_close(pcm);
    return caps;
  }
  caps.ok = true;
  for (unsigned r : kRates)
    if (snd_pcm_hw_params_test_rate(pcm, hw, r, 0) == 0) caps.rates.push_back(r);
  snd_pcm_hw_params_get_channels_min(hw, &caps.channelsMin);
  snd_pcm_hw_params_get_channels_max(hw, &caps.channelsMax);
  for (snd_pcm_format_t f : kFormats)
    if (snd_pcm_hw_params_test_format(pcm, hw, f) == 0) caps.formats.push_back(snd_pcm_format_name(f));
  snd_pcm_close(pcm);
  return caps;
}

}  // namespace

std::vector<PcmEntry> listPcms(const std::vector<std::string>& extraNames) {
  std::vector<PcmEntry> out;
  std::vector<std::string> ioid;
  void** hints = nullptr;
  if (snd_device_name_hint(-1, "pcm", &hints) == 0) {
    for (void** h = hints; *h; h++) {
      char* name = snd_device_name_get_hint(*h, "NAME");
      char* desc = snd_device_name_get_hint(*h, "DESC");
      char* io = snd_device_name_get_hint(*h, "IOID");
      if (name && std::none_of(out.begin(), out.end(), [&](const PcmEntry& e) { return e.name == name; })) {
        PcmEntry e;
        e.name = name;
        e.description = desc ? desc : "";
        std::replace(e.description.begin(), e.description.end(), '\n', ' ');
        out.push_back(e);
        ioid.push_back(io ? io : "");
      }
      free(name);
      free(desc);
      free(io);
    }
    snd_device_name_free_hint(hints);
  }
  for (const std::string& n : extraNames) {
    if (std::none_of(out.begin(), out.end(), [&](const PcmEntry& e) { return e.name == n; })) {
      PcmEntry e;
      e.name = n;
      out.push_back(e);
      ioid.push_back("");
    }
  }
  // Some plugins' libraries (libjack behind the `jack` hint) print straight to stderr when their
  // server is absent; keep a device listing readable by silencing fd 2 while probing.
  fflush(stderr);
  int savedErr = dup(2);
  int devNull = open("/dev/null", O_WRONLY);
  if (savedErr >= 0 && devNull >= 0) dup2(devNull, 2);
  for (size_t i = 0; i < out.size(); i++) {
    // IOID names the only direction a hint supports ("Input"/"Output"); none means both.
    if (ioid[i] != "Output") out[i].capture = probe(out[i].name, SND_PCM_STREAM_CAPTURE);
    else out[i].capture.error = "playback only";
    if (ioid[i] != "Input") out[i].playback = probe(out[i].name, SND_PCM_STREAM_PLAYBACK);
    else out[i].playback.error = "capture only";
  }
  if (savedErr >= 0) {
    dup2(savedErr, 2);
    close(savedErr);
  }
  if (devNull >= 0) close(devNull);
  return out;
}

}  // namespace vt
