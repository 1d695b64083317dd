// `voiceterm devices`: the PCMs alsa-lib knows (name hints plus any names asked for), each opened
// briefly in both directions to see which rates, channel counts and formats it accepts.
#pragma once
#include <string>
#include <vector>

namespace vt {

struct PcmCaps {
  bool ok = false;
  std::string error;  // why it could not be opened, when !ok
  std::vector<unsigned> rates;
  unsigned channelsMin = 0, channelsMax = 0;
  std::vector<std::string> formats;
};

struct PcmEntry {
  std::string name, description;
  PcmCaps capture, playback;
};

std::vector<PcmEntry> listPcms(const std::vector<std::string>& extraNames);

}  // namespace vt
