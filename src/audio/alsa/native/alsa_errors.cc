#include "alsa_errors.h"

#include <alsa/asoundlib.h>

#include <cstdarg>
#include <cstdio>

namespace vt {

namespace {
thread_local char lastMessage[256];

void handler(const char* file, int line, const char* function, int err, const char* fmt, ...) {
  (void)file;
  (void)line;
  (void)function;
  (void)err;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(lastMessage, sizeof lastMessage, fmt, ap);
  va_end(ap);
}
}  // namespace

void installAlsaErrorHandler() { snd_lib_error_set_handler(handler); }

std::string takeAlsaDiagnostic() {
  std::string s(lastMessage);
  lastMessage[0] = 0;
  return s;
}

}  // namespace vt
