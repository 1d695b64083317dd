// The real-time half of the ALSA AudioDevice: one native I/O thread that reads capture periods,
// tops up playback, pairs every mic sample with the reference sample that was at the DAC when it
// was captured, and keeps the exact count of queued samples that left the DAC. JavaScript only
// touches lock-free rings, so a garbage-collection pause in JS delays frame delivery but never
// the device.
#pragma once
#include <alsa/asoundlib.h>
#include <poll.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pcm_setup.h"
#include "spsc_ring.h"

namespace vt {

struct EngineConfig {
  std::string captureDevice = "default", playbackDevice = "default";
  snd_pcm_format_t captureFormat = SND_PCM_FORMAT_S16_LE, playbackFormat = SND_PCM_FORMAT_S16_LE;
  unsigned captureChannels = 1, playbackChannels = 1, micChannel = 0;
  unsigned rate = 16000, periodFrames = 160, periods = 4, frameSamples = 160;
  unsigned fillFrames = 0;     // playback buffer occupancy to keep; 0 = 2 periods (whole buffer on ioplug PCMs)
  unsigned fadeSamples = 0;    // pause/flush fade; 0 = 2.5 ms
  unsigned queueSeconds = 120; // playback queue capacity
  unsigned frameSlots = 256;   // frame pairs buffered for JS (2.5 s at 10 ms)
  unsigned reopenMinMs = 100, reopenMaxMs = 3000;
  unsigned stallMs = 2000;     // no capture data for this long = device lost
};

// Matches AudioDeviceState in src/audio/device.ts (by index).
enum State : int { kClosed = 0, kOpening = 1, kRunning = 2, kLost = 3, kReopening = 4 };
enum EventKind : int { kStateEvent = 0, kXrunEvent = 1 };
enum Direction : int { kCapture = 0, kPlayback = 1 };

struct EngineEvent {
  int kind;   // EventKind
  int value;  // State or Direction
  int err;    // negative errno behind a state change, 0 if none
};

struct EngineStats {
  int state;
  uint64_t written, flushed, taken, played;
  uint64_t xrunsCapture, xrunsPlayback, reopens, frameDrops, captureIndex;
  unsigned period, buffer, fill;
  bool linked, systemClock, paused, realtime;
  int64_t refOffset, captureDelay, playbackDelay;
};

class Engine {
 public:
  explicit Engine(const EngineConfig& cfg);
  ~Engine();

  // JS thread. start() runs the I/O thread, which opens both PCMs, and waits for that first open
  // (so a bad name is an immediate, clear error): 0, or a negative errno with the whole message in
  // *what ("capture NAME: open: No such file or directory (Unknown PCM NAME)").
  int start(std::string* what);
  void stop();
  size_t write(const float* samples, size_t n);
  uint64_t flush();
  void pause() { paused_.store(true, std::memory_order_release); }
  void resume() { paused_.store(false, std::memory_order_release); }
  uint64_t playedSamples() const;
  EngineStats stats() const;

  // Read by JS when woken.
  FrameRing frames;
  SpscRing<EngineEvent> events{256};
  SpscRing<float> jsToAlsaMs{4096};
  // Called on the I/O thread when frames or events are ready (at most once until JS clears
  // wakePending). Set before start().
  std::function<void()> wake;
  std::atomic<bool> wakePending{false};

 private:
  // ---- I/O thread ----
  void threadMain();
  int openDevices(std::string* what);
  void closeDevices();
  int cycle();
  int waitCapture(int timeoutMs);
  int checkFlush();
  int ensureRunning();
  int handleError(int err, Direction dir);
  void loseAndReopen(int err);
  void deliverCapture(const float* mic, size_t n, uint64_t firstIndex, int64_t nowNs);
  int writePlayback(int64_t nowNs);
  size_t produce(float* out, size_t want);
  int handleFlush();
  void truncateTo(uint64_t newEnd);
  void publishPosition(int64_t dacIndex, int64_t nowNs);
  void pushEvent(int kind, int value, int err);
  void setState(State s, int err);
  bool sleepMs(unsigned ms);
  bool stalled() const;

  const EngineConfig cfg_;
  snd_pcm_t* cap_ = nullptr;
  snd_pcm_t* pb_ = nullptr;
  PcmSetup capSetup_, pbSetup_;
  bool linked_ = false, systemClock_ = false, ioplug_ = false, pollCapture_ = false;
  unsigned fill_ = 0, fade_ = 0;
  std::vector<uint8_t> capBuf_, pbBuf_;
  std::vector<float> micTmp_, pbTmp_, peekTmp_;
  std::vector<pollfd> pollFds_;
  int wakeFd_ = -1;  // eventfd: flush() wakes the I/O thread out of waitCapture()

  // Playback history: what was written at each device index, to look up the reference signal.
  std::vector<float> hist_;
  uint64_t pbWritten_ = 0;    // device frames written (queued audio + padding silence)
  uint64_t audioWritten_ = 0; // of those, samples of queued audio
  // One record per writei(): queued audio first, then padding. Maps a DAC index to playedSamples.
  struct Chunk {
    uint64_t devStart, audioBefore;
    uint32_t len, audioLen;
  };
  std::vector<Chunk> chunks_;
  uint64_t chunkCount_ = 0;

  // Capture side.
  uint64_t capIndex_ = 0;        // capture sample index of the next sample read
  std::vector<float> stageMic_, stageRef_;
  size_t stageFill_ = 0;
  uint64_t stageIndex_ = 0;
  int64_t refOffset_ = 0;        // DAC index - capture index, at the same instant
  bool offsetValid_ = false;
  int offsetDisagree_ = 0;
  int64_t lastReadNs_ = 0, nextTickNs_ = 0;
  bool capturing_ = false;  // data has arrived since the last open

  // Playback producer state (I/O thread).
  float lastOut_ = 0;
  unsigned decayLeft_ = 0;
  float decayFrom_ = 0;
  bool decayFromHistory_ = false;
  uint32_t seenFlushSeq_ = 0;
  bool pauseFaded_ = false, wasPaused_ = false;
  unsigned fadeInLeft_ = 0;

  // ---- shared with JS ----
  SampleQueue queue_;
  std::atomic<uint32_t> flushSeq_{0};
  std::atomic<uint64_t> flushed_{0};
  std::atomic<bool> paused_{false};
  std::atomic<bool> realtime_{false};  // the I/O thread got SCHED_FIFO
  std::atomic<int> state_{kClosed};
  std::atomic<uint64_t> xrunsCapture_{0}, xrunsPlayback_{0}, reopens_{0}, frameDrops_{0};
  std::atomic<uint64_t> statIndex_{0};
  std::atomic<int64_t> statOffset_{0}, statCapDelay_{0}, statPbDelay_{0};
  // Position snapshot (seqlock): at snapNs_ the DAC had played snapPlayed_ samples of queued
  // audio, and the next snapAhead_ samples at the DAC are queued audio too.
  std::atomic<uint32_t> snapSeq_{0};
  std::atomic<int64_t> snapNs_{0};
  std::atomic<uint64_t> snapPlayed_{0}, snapAhead_{0};
  // Latency probe: the queue index and time of a write() that found the queue empty.
  std::atomic<bool> markPending_{false};
  std::atomic<uint64_t> markIndex_{0};
  std::atomic<int64_t> markNs_{0};

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex sleepMu_;
  std::condition_variable sleepCv_;
  // Result of the first open, handed from the I/O thread to start() (under sleepMu_).
  bool startDone_ = false;
  int startErr_ = 0;
  std::string startWhat_;
};

int64_t monotonicNs();

}  // namespace vt
