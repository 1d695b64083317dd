/* Reference runner for the frontend bench: WebRTC AudioProcessing 0.3 (Debian's
 * libwebrtc-audio-processing, the legacy AEC2 canceller) configured as a product would run it with
 * sample-aligned mic and reference: extended filter (128 ms) + delay-agnostic mode (the acoustic
 * bulk delay sits inside the mic, so the reported system delay is 0 and the canceller finds the
 * rest itself), echo suppression at the given level, noise suppression, high-pass filter; no AGC
 * (it would change levels under the metrics, as in the Speex runner). 10 ms frames at 16 kHz, the
 * far end passed through ProcessReverseStream before each near-end ProcessStream.
 * Dev-only, compiled at bench time; never part of the product.
 * usage: webrtc_runner MIC.s16 REF.s16 OUT.s16 [AEC_LEVEL [NS_LEVEL [DELAY_MS]]]
 *   AEC_LEVEL: low|moderate|high (default moderate, the library's default)
 *   NS_LEVEL:  low|moderate|high|veryhigh (default moderate)
 *   DELAY_MS:  reported render→capture delay (default 0: mic and ref arrive aligned)
 * prints wall and CPU seconds of the processing loop. */
#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace {

const int kRate = 16000;
const size_t kFrame = 160;  // 10 ms: the only chunk size AudioProcessing accepts

std::vector<short> slurp(const char *path) {
  FILE *f = std::fopen(path, "rb");
  if (!f) { std::perror(path); std::exit(1); }
  std::fseek(f, 0, SEEK_END);
  long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  std::vector<short> buf(bytes / 2);
  if (std::fread(buf.data(), 2, buf.size(), f) != buf.size()) { std::perror(path); std::exit(1); }
  std::fclose(f);
  return buf;
}

double seconds(const timespec &a, const timespec &b) {
  return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

void check(int err, const char *what) {
  if (err != webrtc::AudioProcessing::kNoError) {
    std::fprintf(stderr, "webrtc_runner: %s failed (error %d)\n", what, err);
    std::exit(1);
  }
}

webrtc::EchoCancellation::SuppressionLevel aecLevel(const char *s) {
  if (!std::strcmp(s, "low")) return webrtc::EchoCancellation::kLowSuppression;
  if (!std::strcmp(s, "moderate")) return webrtc::EchoCancellation::kModerateSuppression;
  if (!std::strcmp(s, "high")) return webrtc::EchoCancellation::kHighSuppression;
  std::fprintf(stderr, "webrtc_runner: AEC level must be low|moderate|high, got %s\n", s);
  std::exit(2);
}

webrtc::NoiseSuppression::Level nsLevel(const char *s) {
  if (!std::strcmp(s, "low")) return webrtc::NoiseSuppression::kLow;
  if (!std::strcmp(s, "moderate")) return webrtc::NoiseSuppression::kModerate;
  if (!std::strcmp(s, "high")) return webrtc::NoiseSuppression::kHigh;
  if (!std::strcmp(s, "veryhigh")) return webrtc::NoiseSuppression::kVeryHigh;
  std::fprintf(stderr, "webrtc_runner: NS level must be low|moderate|high|veryhigh, got %s\n", s);
  std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 4 || argc > 7) {
    std::fprintf(stderr, "usage: %s MIC REF OUT [AEC_LEVEL [NS_LEVEL [DELAY_MS]]]\n", argv[0]);
    return 2;
  }
  std::vector<short> mic = slurp(argv[1]), ref = slurp(argv[2]);
  size_t n = mic.size() < ref.size() ? mic.size() : ref.size();
  std::vector<short> out(n, 0);
  const char *aec = argc > 4 ? argv[4] : "moderate";
  const char *ns = argc > 5 ? argv[5] : "moderate";
  int delayMs = argc > 6 ? std::atoi(argv[6]) : 0;

  webrtc::Config config;
  config.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
  config.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
  webrtc::AudioProcessing *apm = webrtc::AudioProcessing::Create(config);
  webrtc::StreamConfig mono(kRate, 1);
  webrtc::ProcessingConfig pc = {{mono, mono, mono, mono}};
  check(apm->Initialize(pc), "Initialize");
  check(apm->high_pass_filter()->Enable(true), "high_pass_filter");
  check(apm->echo_cancellation()->enable_drift_compensation(false), "drift_compensation");
  check(apm->echo_cancellation()->set_suppression_level(aecLevel(aec)), "suppression_level");
  check(apm->echo_cancellation()->Enable(true), "echo_cancellation");
  check(apm->noise_suppression()->set_level(nsLevel(ns)), "noise_suppression level");
  check(apm->noise_suppression()->Enable(true), "noise_suppression");

  float micF[kFrame], refF[kFrame], outF[kFrame], refOut[kFrame];
  float *micCh[1] = {micF}, *refCh[1] = {refF}, *outCh[1] = {outF}, *refOutCh[1] = {refOut};
  timespec a, b, ca, cb;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
  for (size_t i = 0; i + kFrame <= n; i += kFrame) {
    for (size_t k = 0; k < kFrame; k++) {
      micF[k] = mic[i + k] / 32768.0f;
      refF[k] = ref[i + k] / 32768.0f;
    }
    check(apm->ProcessReverseStream(refCh, mono, mono, refOutCh), "ProcessReverseStream");
    check(apm->set_stream_delay_ms(delayMs), "set_stream_delay_ms");
    check(apm->ProcessStream(micCh, mono, mono, outCh), "ProcessStream");
    for (size_t k = 0; k < kFrame; k++) {
      float v = outF[k] * 32768.0f;
      out[i + k] = v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : static_cast<short>(v);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
  delete apm;

  FILE *f = std::fopen(argv[3], "wb");
  if (!f) { std::perror(argv[3]); return 1; }
  std::fwrite(out.data(), sizeof(short), n, f);
  std::fclose(f);
  /* wall seconds, CPU seconds */
  std::printf("%.6f %.6f\n", seconds(a, b), seconds(ca, cb));
  return 0;
}
