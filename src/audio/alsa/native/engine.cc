#include "engine.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "alsa_errors.h"
#include "convert.h"

namespace vt {

int64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

Engine::Engine(const EngineConfig& cfg)
    : frames(cfg.frameSlots, cfg.frameSamples),
      cfg_(cfg),
      chunks_(512),
      stageMic_(cfg.frameSamples),
      stageRef_(cfg.frameSamples),
      queue_(static_cast<size_t>(cfg.queueSeconds) * cfg.rate) {
  fade_ = cfg.fadeSamples ? cfg.fadeSamples : cfg.rate / 400;
  hist_.resize(std::max<size_t>(cfg.rate, static_cast<size_t>(cfg.periodFrames) * cfg.periods * 8));
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Engine::~Engine() {
  stop();
  if (wakeFd_ >= 0) close(wakeFd_);
}

// ---------------------------------------------------------------- JS thread

int Engine::start(std::string* what) {
  state_.store(kOpening);
  stop_.store(false);
  // The devices are opened on the I/O thread (see threadMain); wait here for the first attempt so
  // a bad name or format is an immediate error.
  std::unique_lock<std::mutex> lock(sleepMu_);
  startDone_ = false;
  thread_ = std::thread(&Engine::threadMain, this);
  sleepCv_.wait(lock, [this] { return startDone_; });
  lock.unlock();
  if (startErr_ < 0) {
    thread_.join();
    state_.store(kClosed);
    *what = startWhat_;
    return startErr_;
  }
  return 0;
}

void Engine::stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(sleepMu_);
      stop_.store(true);
    }
    sleepCv_.notify_all();
    thread_.join();
  }
  closeDevices();
  state_.store(kClosed);
}

size_t Engine::write(const float* samples, size_t n) {
  uint64_t before = queue_.written();
  bool wasEmpty = before == queue_.taken();
  size_t accepted = queue_.write(samples, n);
  if (accepted > 0 && wasEmpty && !markPending_.load(std::memory_order_acquire)) {
    markIndex_.store(before, std::memory_order_relaxed);
    markNs_.store(monotonicNs(), std::memory_order_relaxed);
    markPending_.store(true, std::memory_order_release);
  }
  return accepted;
}

uint64_t Engine::flush() {
  uint64_t dropped = queue_.flush();
  flushed_.fetch_add(dropped);
  flushSeq_.fetch_add(1, std::memory_order_release);
  if (wakeFd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof one);
  }
  return dropped;
}

uint64_t Engine::playedSamples() const {
  uint32_t s1, s2;
  int64_t t;
  uint64_t played, ahead;
  do {
    s1 = snapSeq_.load(std::memory_order_acquire);
    t = snapNs_.load(std::memory_order_relaxed);
    played = snapPlayed_.load(std::memory_order_relaxed);
    ahead = snapAhead_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    s2 = snapSeq_.load(std::memory_order_relaxed);
  } while (s1 != s2 || (s1 & 1));
  if (state_.load() != kRunning || t == 0) return played;
  // Between I/O cycles the DAC keeps moving at the nominal rate through the audio already written.
  int64_t elapsed = monotonicNs() - t;
  uint64_t moved = elapsed > 0 ? static_cast<uint64_t>(elapsed * static_cast<double>(cfg_.rate) / 1e9) : 0;
  return played + std::min(moved, ahead);
}

EngineStats Engine::stats() const {
  EngineStats s;
  s.state = state_.load();
  s.written = queue_.written();
  s.taken = queue_.taken();
  s.flushed = flushed_.load();
  s.played = playedSamples();
  s.xrunsCapture = xrunsCapture_.load();
  s.xrunsPlayback = xrunsPlayback_.load();
  s.reopens = reopens_.load();
  s.frameDrops = frameDrops_.load();
  s.captureIndex = statIndex_.load();
  s.period = static_cast<unsigned>(capSetup_.period);
  s.buffer = static_cast<unsigned>(pbSetup_.buffer);
  s.fill = fill_;
  s.linked = linked_;
  s.systemClock = systemClock_;
  s.paused = paused_.load();
  s.refOffset = statOffset_.load();
  s.realtime = realtime_.load();
  s.captureDelay = statCapDelay_.load();
  s.playbackDelay = statPbDelay_.load();
  return s;
}

// ---------------------------------------------------------------- device setup

int Engine::openDevices(std::string* what) {
  PcmRequest c{cfg_.captureDevice, SND_PCM_STREAM_CAPTURE, cfg_.captureFormat, cfg_.captureChannels,
               cfg_.rate, cfg_.periodFrames, cfg_.periods};
  PcmRequest p{cfg_.playbackDevice, SND_PCM_STREAM_PLAYBACK, cfg_.playbackFormat, cfg_.playbackChannels,
               cfg_.rate, cfg_.periodFrames, cfg_.periods};
  std::string step;
  int err = openPcm(c, &cap_, &capSetup_, &step);
  if (err < 0) {
    *what = "capture " + cfg_.captureDevice + ": " + step;
    return err;
  }
  err = openPcm(p, &pb_, &pbSetup_, &step);
  if (err < 0) {
    *what = "playback " + cfg_.playbackDevice + ": " + step;
    snd_pcm_close(cap_);
    cap_ = nullptr;
    return err;
  }
  // Both directions on one card: link them so they start (and stop) on the same sample clock tick.
  snd_pcm_info_t* ci;
  snd_pcm_info_t* pi;
  snd_pcm_info_alloca(&ci);
  snd_pcm_info_alloca(&pi);
  linked_ = false;
  if (snd_pcm_info(cap_, ci) == 0 && snd_pcm_info(pb_, pi) == 0 && snd_pcm_info_get_card(ci) >= 0 &&
      snd_pcm_info_get_card(ci) == snd_pcm_info_get_card(pi)) {
    linked_ = snd_pcm_link(cap_, pb_) == 0;
  }
  // file/null PCMs have no clock of their own: they would run as fast as the CPU allows.
  snd_pcm_type_t t = snd_pcm_type(cap_);
  systemClock_ = t == SND_PCM_TYPE_FILE || t == SND_PCM_TYPE_NULL;
  pollCapture_ = t == SND_PCM_TYPE_IOPLUG;
  // ioplug PCMs (PulseAudio) hand everything written straight to a server that needs its buffer
  // full to start (prebuf) and flushes it on drop; there the whole buffer is kept filled.
  ioplug_ = snd_pcm_type(pb_) == SND_PCM_TYPE_IOPLUG;
  unsigned period = static_cast<unsigned>(pbSetup_.period);
  fill_ = cfg_.fillFrames ? cfg_.fillFrames : (ioplug_ ? static_cast<unsigned>(pbSetup_.buffer) : 2 * period);
  fill_ = std::min<unsigned>(fill_, static_cast<unsigned>(pbSetup_.buffer));
  size_t capBytes = snd_pcm_frames_to_bytes(cap_, capSetup_.period);
  capBuf_.assign(capBytes, 0);
  micTmp_.assign(capSetup_.period, 0.f);
  size_t pbMax = pbSetup_.buffer;
  pbBuf_.assign(snd_pcm_frames_to_bytes(pb_, pbMax), 0);
  pbTmp_.assign(pbMax, 0.f);
  peekTmp_.assign(std::max<size_t>(fade_, 1), 0.f);
  // The capture PCM's poll descriptors plus wakeFd_ (see waitCapture).
  pollFds_.assign(static_cast<size_t>(std::max(snd_pcm_poll_descriptors_count(cap_), 0)) + 1, pollfd{});
  offsetValid_ = false;
  stageFill_ = 0;
  lastReadNs_ = monotonicNs();
  capturing_ = false;
  nextTickNs_ = lastReadNs_;
  err = ensureRunning();
  if (err < 0) {
    *what = "start streams";
    closeDevices();
    return err;
  }
  return 0;
}

void Engine::closeDevices() {
  if (cap_ && linked_) snd_pcm_unlink(cap_);
  if (cap_) snd_pcm_close(cap_);
  if (pb_) snd_pcm_close(pb_);
  cap_ = pb_ = nullptr;
  linked_ = false;
}

// Start whatever is prepared: playback gets a prefill of silence first so it does not underrun on
// the first period. Linked streams start together through the capture handle.
int Engine::ensureRunning() {
  int err;
  if (snd_pcm_state(pb_) == SND_PCM_STATE_PREPARED) {
    if ((err = writePlayback(monotonicNs())) < 0) return err;
    if (!linked_ && (err = snd_pcm_start(pb_)) < 0) return err;
  }
  if (snd_pcm_state(cap_) == SND_PCM_STATE_PREPARED) {
    if ((err = snd_pcm_start(cap_)) < 0) return err;
    offsetValid_ = false;
  }
  return 0;
}

// ---------------------------------------------------------------- I/O thread

void Engine::threadMain() {
  // Real-time priority where the system allows it (a board's service has the capability); without
  // it we still run, just more exposed to scheduling delays. Opening the PCMs from this thread
  // matters: threads a plugin starts (PulseAudio's client mainloop) inherit the priority, so the
  // locks we share with them are not held by a thread that JS and GC can preempt.
  sched_param sp{};
  sp.sched_priority = 40;
  realtime_.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0);
  std::string what;
  int err = openDevices(&what);
  {
    std::lock_guard<std::mutex> lock(sleepMu_);
    startErr_ = err;
    if (err < 0) {
      std::string diag = takeAlsaDiagnostic();
      startWhat_ = what + ": " + snd_strerror(err) + (diag.empty() ? "" : " (" + diag + ")");
    }
    startDone_ = true;
  }
  sleepCv_.notify_all();
  if (err < 0) return;
  setState(kRunning, 0);
  while (!stop_.load()) {
    err = cycle();
    if (err < 0) loseAndReopen(err);
  }
}

// No capture data for stallMs: a USB card that hangs instead of reporting ENODEV, or a sound
// server that went away without an error on our side.
bool Engine::stalled() const {
  // A stream that has not delivered yet gets longer: a sound server may take a second to start.
  int64_t limitMs = capturing_ ? cfg_.stallMs : 3LL * cfg_.stallMs;
  return monotonicNs() - lastReadNs_ >= limitMs * 1000000LL;
}

bool Engine::sleepMs(unsigned ms) {
  std::unique_lock<std::mutex> lock(sleepMu_);
  return !sleepCv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
}

void Engine::loseAndReopen(int err) {
  const int64_t lastRead = lastReadNs_;
  closeDevices();
  setState(kLost, err);
  unsigned backoff = cfg_.reopenMinMs;
  bool announced = false;
  while (!stop_.load()) {
    if (!sleepMs(backoff)) return;
    if (!announced) setState(kReopening, err);
    announced = true;
    std::string what;
    int e = openDevices(&what);
    if (e == 0) {
      // Samples that passed while the device was away are not delivered; the index jumps so that
      // frame indices stay on the wall clock.
      int64_t away = monotonicNs() - lastRead;
      capIndex_ += static_cast<uint64_t>(away / 1000000000.0 * cfg_.rate);
      reopens_.fetch_add(1);
      setState(kRunning, 0);
      return;
    }
    backoff = std::min(backoff * 2, cfg_.reopenMaxMs);
  }
}

// EPIPE/ESTRPIPE are xruns: recover and go on. Anything else (ENODEV when a USB card is pulled,
// EIO, EBADFD, a stalled or ended stream) means the device is gone.
int Engine::handleError(int err, Direction dir) {
  if (err != -EPIPE && err != -ESTRPIPE) return err;
  (dir == kCapture ? xrunsCapture_ : xrunsPlayback_).fetch_add(1);
  pushEvent(kXrunEvent, dir, err);
  int r = snd_pcm_recover(dir == kCapture ? cap_ : pb_, err, 1);
  if (r < 0) return r;
  if (dir == kCapture || linked_) {
    // Samples were lost: keep indices on the wall clock and start a fresh frame.
    capIndex_ += capSetup_.buffer;
    stageFill_ = 0;
  }
  return ensureRunning();
}

// Handles a flush() that the I/O thread has not acted on yet (see handleFlush).
int Engine::checkFlush() {
  return flushSeq_.load(std::memory_order_acquire) != seenFlushSeq_ ? handleFlush() : 0;
}

// Like snd_pcm_wait() on the capture PCM, but flush() can cut it short through wakeFd_. Returns
// 1 when the capture PCM is ready (or in error: the read that follows reports which), 0 on timeout
// or wake-up, or a negative errno.
int Engine::waitCapture(int timeoutMs) {
  int n = static_cast<int>(pollFds_.size()) - 1;
  if (snd_pcm_poll_descriptors(cap_, pollFds_.data(), static_cast<unsigned>(n)) != n) return -EIO;
  pollFds_[n] = pollfd{wakeFd_, POLLIN, 0};
  int r = poll(pollFds_.data(), static_cast<nfds_t>(n + 1), timeoutMs);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (pollFds_[n].revents & POLLIN) {
    uint64_t drained;
    (void)!read(wakeFd_, &drained, sizeof drained);
  }
  unsigned short revents = 0;
  int err = snd_pcm_poll_descriptors_revents(cap_, pollFds_.data(), static_cast<unsigned>(n), &revents);
  if (err < 0) return err;
  return (revents & (POLLIN | POLLERR)) ? 1 : 0;
}

int Engine::cycle() {
  // A flush is acted on at once, not after the next capture period: on PulseAudio this loop comes
  // round every millisecond, and on hardware flush() wakes the wait below through wakeFd_.
  int err = checkFlush();
  if (err < 0) return handleError(err, kPlayback);
  if (systemClock_) {
    // Unclocked (file/null) devices: pace one period per period of wall time.
    nextTickNs_ += static_cast<int64_t>(capSetup_.period) * 1000000000LL / cfg_.rate;
    timespec ts{static_cast<time_t>(nextTickNs_ / 1000000000LL), static_cast<long>(nextTickNs_ % 1000000000LL)};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
  } else if (pollCapture_) {
    // alsa-plugins' pulse PCM can leave its poll descriptor readable while less than a period is
    // there, which makes snd_pcm_wait() spin; for ioplug PCMs poll the fill level instead.
    snd_pcm_sframes_t avail = snd_pcm_avail_update(cap_);
    if (avail < 0) return handleError(static_cast<int>(avail), kCapture);
    if (static_cast<snd_pcm_uframes_t>(avail) < capSetup_.period) {
      // Capture from a sound server can arrive in bursts; keep playback topped up meanwhile.
      if ((err = checkFlush()) == 0) err = writePlayback(monotonicNs());
      if (err < 0) return handleError(err, kPlayback);
      timespec ts{0, 1000000};  // 1 ms
      nanosleep(&ts, nullptr);
      return stalled() ? -ETIMEDOUT : 0;
    }
  } else {
    int w = waitCapture(50);
    if (w == 0) return stalled() ? -ETIMEDOUT : 0;
    if (w < 0) return handleError(w, kCapture);
  }
  snd_pcm_sframes_t n = snd_pcm_readi(cap_, capBuf_.data(), capSetup_.period);
  if (n == -EAGAIN) return 0;
  if (n < 0) return handleError(static_cast<int>(n), kCapture);
  if (n == 0) return -ENODATA;  // a file PCM's input ended: the "device" is gone
  int64_t now = monotonicNs();
  lastReadNs_ = now;
  capturing_ = true;

  snd_pcm_sframes_t dc = 0, dp = 0;
  err = snd_pcm_delay(cap_, &dc);
  if (err < 0) return handleError(err, kCapture);
  err = snd_pcm_delay(pb_, &dp);
  if (err < 0) return handleError(err, kPlayback);

  // At this instant the DAC is at device index pbWritten_ - dp and the ADC at capture index
  // capIndex_ + n + dc. Their difference maps a capture index to the playback index that was at
  // the DAC at the same moment. Jitter in the reported delays is ignored unless a new offset holds
  // for several periods (a real change after an xrun or clock drift).
  int64_t dacIndex = static_cast<int64_t>(pbWritten_) - dp;
  int64_t measured = dacIndex - static_cast<int64_t>(capIndex_ + n + dc);
  int64_t tolerance = std::max<int64_t>(2, capSetup_.period / 4);
  if (!offsetValid_) {
    refOffset_ = measured;
    offsetValid_ = true;
  } else if (std::llabs(measured - refOffset_) > tolerance) {
    if (++offsetDisagree_ >= 3) {
      refOffset_ = measured;
      offsetDisagree_ = 0;
    }
  } else {
    offsetDisagree_ = 0;
  }
  statOffset_.store(refOffset_, std::memory_order_relaxed);
  statCapDelay_.store(dc, std::memory_order_relaxed);
  statPbDelay_.store(dp, std::memory_order_relaxed);

  extractChannel(capBuf_.data(), cfg_.captureFormat, cfg_.captureChannels, cfg_.micChannel, micTmp_.data(),
                 static_cast<size_t>(n));
  deliverCapture(micTmp_.data(), static_cast<size_t>(n), capIndex_, now);
  capIndex_ += n;
  statIndex_.store(capIndex_, std::memory_order_relaxed);

  publishPosition(dacIndex, now);
  // Checked again right before taking from the queue: a flush during the wait must fade out from
  // the audio that was playing, not from the silence an emptied queue would give.
  if ((err = checkFlush()) == 0) err = writePlayback(now);
  if (err < 0) return handleError(err, kPlayback);
  return 0;
}

void Engine::deliverCapture(const float* mic, size_t n, uint64_t firstIndex, int64_t nowNs) {
  const size_t fs = cfg_.frameSamples;
  for (size_t i = 0; i < n; i++) {
    if (stageFill_ == 0) stageIndex_ = firstIndex + i;
    int64_t d = static_cast<int64_t>(firstIndex + i) + refOffset_;
    // Reference = what was written at that DAC index, if it is still in the history ring.
    bool known = d >= 0 && static_cast<uint64_t>(d) < pbWritten_ && pbWritten_ - static_cast<uint64_t>(d) <= hist_.size();
    stageMic_[stageFill_] = mic[i];
    stageRef_[stageFill_] = known ? hist_[static_cast<uint64_t>(d) % hist_.size()] : 0.f;
    if (++stageFill_ < fs) continue;
    stageFill_ = 0;
    FrameRing::Meta* meta;
    float* slot = frames.begin(&meta);
    if (!slot) {
      frameDrops_.fetch_add(1);  // JS is more than the whole ring behind
      continue;
    }
    std::copy(stageMic_.begin(), stageMic_.end(), slot);
    std::copy(stageRef_.begin(), stageRef_.end(), slot + fs);
    meta->index = stageIndex_;
    meta->capturedNs = nowNs;
    frames.end();
    if (wake && !wakePending.exchange(true)) wake();
  }
}

// Map the DAC index to samples of queued audio played, and publish it with how much queued audio
// directly follows (so readers can interpolate between cycles without overshooting into padding).
void Engine::publishPosition(int64_t dacIndex, int64_t nowNs) {
  uint64_t played = 0, ahead = 0;
  uint64_t first = chunkCount_ > chunks_.size() ? chunkCount_ - chunks_.size() : 0;
  for (uint64_t k = chunkCount_; k > first; k--) {
    const Chunk& c = chunks_[(k - 1) % chunks_.size()];
    if (dacIndex < static_cast<int64_t>(c.devStart)) continue;
    uint64_t into = static_cast<uint64_t>(dacIndex) - c.devStart;
    played = c.audioBefore + std::min<uint64_t>(into, c.audioLen);
    if (into < c.audioLen) {
      ahead = c.audioLen - into;
      // A chunk that is audio to its end continues into the next one.
      for (uint64_t j = k; j < chunkCount_; j++) {
        const Chunk& prev = chunks_[(j - 1) % chunks_.size()];
        if (prev.audioLen != prev.len) break;
        ahead += chunks_[j % chunks_.size()].audioLen;
      }
    }
    break;
  }
  if (played < snapPlayed_.load(std::memory_order_relaxed)) played = snapPlayed_.load(std::memory_order_relaxed);
  uint32_t s = snapSeq_.load(std::memory_order_relaxed);
  snapSeq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  snapNs_.store(nowNs, std::memory_order_relaxed);
  snapPlayed_.store(played, std::memory_order_relaxed);
  snapAhead_.store(ahead, std::memory_order_relaxed);
  snapSeq_.store(s + 2, std::memory_order_release);
}

int Engine::writePlayback(int64_t nowNs) {
  snd_pcm_sframes_t avail = snd_pcm_avail_update(pb_);
  if (avail < 0) return static_cast<int>(avail);
  snd_pcm_sframes_t want;
  if (systemClock_) {
    want = static_cast<snd_pcm_sframes_t>(pbSetup_.period);
  } else {
    // Keep only `fill_` frames in the device: a flush can never leave more than that playing.
    snd_pcm_sframes_t occupied = static_cast<snd_pcm_sframes_t>(pbSetup_.buffer) - avail;
    want = static_cast<snd_pcm_sframes_t>(fill_) - occupied;
  }
  want = std::min<snd_pcm_sframes_t>(want, avail);
  if (want <= 0) return 0;
  size_t audioLen = produce(pbTmp_.data(), static_cast<size_t>(want));
  (void)nowNs;
  fillInterleaved(pbTmp_.data(), cfg_.playbackFormat, cfg_.playbackChannels, pbBuf_.data(), static_cast<size_t>(want));
  snd_pcm_sframes_t w = snd_pcm_writei(pb_, pbBuf_.data(), static_cast<snd_pcm_uframes_t>(want));
  // Queued audio that was taken but did not go into the device (a failed or short write) will
  // never play: count it as flushed, or playedSamples could never catch up with what was written.
  size_t unwritten = w < 0 ? audioLen : audioLen - std::min<size_t>(audioLen, static_cast<size_t>(w));
  if (unwritten > 0) flushed_.fetch_add(unwritten);
  if (w < 0) return static_cast<int>(w);
  for (snd_pcm_sframes_t i = 0; i < w; i++) hist_[(pbWritten_ + i) % hist_.size()] = pbTmp_[i];
  Chunk& c = chunks_[chunkCount_ % chunks_.size()];
  c.devStart = pbWritten_;
  c.len = static_cast<uint32_t>(w);
  c.audioLen = static_cast<uint32_t>(std::min<size_t>(audioLen, static_cast<size_t>(w)));
  c.audioBefore = audioWritten_;
  chunkCount_++;
  pbWritten_ += w;
  audioWritten_ += c.audioLen;
  return 0;
}

// Fill `out` with the next `want` device samples. Returns how many leading samples are queued
// audio (counted in playedSamples); the rest is padding: silence, a pause fade or a flush decay.
size_t Engine::produce(float* out, size_t want) {
  size_t k = 0, audio = 0;
  bool paused = paused_.load(std::memory_order_acquire);
  if (decayLeft_ > 0) {
    for (; k < want && decayLeft_ > 0; k++, decayLeft_--) {
      float from = decayFromHistory_ ? hist_[(pbWritten_ + k) % hist_.size()] : decayFrom_;
      out[k] = from * decayLeft_ / (fade_ + 1);
    }
  } else if (paused) {
    if (!pauseFaded_) {
      // Fade out over the next samples without taking them: resume() plays them again, faded in,
      // so pausing loses nothing and the position stays where it was.
      size_t got = 0;
      queue_.peek(peekTmp_.data(), std::min<size_t>(fade_, want), &got);
      for (; k < got; k++) out[k] = peekTmp_[k] * static_cast<float>(got - k) / (got + 1);
      pauseFaded_ = true;
      wasPaused_ = true;
    }
  } else {
    if (wasPaused_) {
      wasPaused_ = false;
      pauseFaded_ = false;
      fadeInLeft_ = fade_;
    }
    size_t got = 0;
    uint64_t from = queue_.peek(out, want, &got);
    if (got > 0 && !queue_.commit(from, got)) got = 0;  // a flush won the race: play nothing of it
    for (size_t i = 0; i < got && fadeInLeft_ > 0; i++, fadeInLeft_--)
      out[i] *= static_cast<float>(fade_ - fadeInLeft_ + 1) / (fade_ + 1);
    if (got > 0 && markPending_.load(std::memory_order_acquire)) {
      uint64_t mark = markIndex_.load(std::memory_order_relaxed);
      if (mark < from + got) {
        if (mark >= from) {
          float ms = static_cast<float>(monotonicNs() - markNs_.load(std::memory_order_relaxed)) / 1e6f;
          jsToAlsaMs.push(ms);
        }
        markPending_.store(false, std::memory_order_release);
      }
    } else if (got == 0 && markPending_.load(std::memory_order_acquire) && markIndex_.load() < queue_.taken()) {
      markPending_.store(false, std::memory_order_release);  // the marked write was flushed
    }
    k = audio = got;
  }
  for (; k < want; k++) out[k] = 0.f;
  lastOut_ = want > 0 ? out[want - 1] : lastOut_;
  return audio;
}

// flush() dropped the queue; now also drop what the device still holds, so the loudspeaker goes
// quiet within a few ms instead of after the device buffer: rewind the buffer where the PCM can
// (hardware), or drop and restart the stream (PulseAudio flushes its server buffer on drop). The
// cut is faded: the samples that would have followed are played once more with a falling gain.
int Engine::handleFlush() {
  seenFlushSeq_ = flushSeq_.load(std::memory_order_acquire);
  uint64_t before = pbWritten_;
  if (ioplug_) {
    snd_pcm_sframes_t dp = 0;
    int err = snd_pcm_delay(pb_, &dp);
    if (err < 0) return err;
    uint64_t dac = pbWritten_ - std::min<uint64_t>(static_cast<uint64_t>(std::max<snd_pcm_sframes_t>(dp, 0)), pbWritten_);
    if ((err = snd_pcm_drop(pb_)) < 0 || (err = snd_pcm_prepare(pb_)) < 0) return err;
    truncateTo(dac);
  } else {
    // Keep a little in the buffer: the DMA may already be reading the next few frames.
    snd_pcm_sframes_t guard = static_cast<snd_pcm_sframes_t>(pbSetup_.period / 4);
    // Only what the delay says has not reached the DAC: some plugins (null) report every frame
    // as played yet still let it be rewound.
    snd_pcm_sframes_t dp = 0;
    int err = snd_pcm_delay(pb_, &dp);
    if (err < 0) return err;
    snd_pcm_sframes_t r = std::min(snd_pcm_rewindable(pb_), dp);
    if (r > guard) {
      snd_pcm_sframes_t n = snd_pcm_rewind(pb_, static_cast<snd_pcm_uframes_t>(r - guard));
      if (n > 0) truncateTo(pbWritten_ - static_cast<uint64_t>(n));
    }
  }
  decayFromHistory_ = pbWritten_ < before;
  decayFrom_ = lastOut_;
  decayLeft_ = fade_;
  fadeInLeft_ = 0;
  return snd_pcm_state(pb_) == SND_PCM_STATE_PREPARED ? ensureRunning() : 0;
}

// Forget device frames from newEnd on (they were rewound or dropped before reaching the DAC): the
// queued audio among them counts as flushed, never as played.
void Engine::truncateTo(uint64_t newEnd) {
  uint64_t discarded = 0;
  while (chunkCount_ > 0) {
    Chunk& c = chunks_[(chunkCount_ - 1) % chunks_.size()];
    if (c.devStart >= newEnd) {
      discarded += c.audioLen;
      chunkCount_--;
      continue;
    }
    uint64_t keep = newEnd - c.devStart;
    if (keep < c.len) {
      if (c.audioLen > keep) {
        discarded += c.audioLen - keep;
        c.audioLen = static_cast<uint32_t>(keep);
      }
      c.len = static_cast<uint32_t>(keep);
    }
    break;
  }
  audioWritten_ -= discarded;
  pbWritten_ = newEnd;
  flushed_.fetch_add(discarded);
}

void Engine::pushEvent(int kind, int value, int err) {
  events.push(EngineEvent{kind, value, err});
  if (wake && !wakePending.exchange(true)) wake();
}

void Engine::setState(State s, int err) {
  state_.store(s);
  pushEvent(kStateEvent, s, err);
}

}  // namespace vt
