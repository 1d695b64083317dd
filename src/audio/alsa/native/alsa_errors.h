// alsa-lib prints its own diagnostics to stderr by default. A supervisor retrying a missing device
// every few seconds must not fill the journal with them, so they are captured instead and the
// last one is appended to our own error message.
#pragma once
#include <string>

namespace vt {
void installAlsaErrorHandler();
// The last alsa-lib diagnostic on this thread ("" if none), then forgets it.
std::string takeAlsaDiagnostic();
}  // namespace vt
