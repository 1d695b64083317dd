// Lock-free single-producer/single-consumer rings shared between the ALSA I/O thread and the
// JavaScript thread. Indices are monotonic 64-bit counters (they never wrap in practice), so
// "how many are readable" is a plain subtraction and positions double as sample counts.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace vt {

// A ring of POD items. One thread calls push(), another calls pop().
template <typename T>
class SpscRing {
 public:
  explicit SpscRing(size_t capacity) : items_(capacity), cap_(capacity) {}

  bool push(const T& item) {
    uint64_t w = w_.load(std::memory_order_relaxed);
    if (w - r_.load(std::memory_order_acquire) >= cap_) return false;
    items_[w % cap_] = item;
    w_.store(w + 1, std::memory_order_release);
    return true;
  }

  bool pop(T* out) {
    uint64_t r = r_.load(std::memory_order_relaxed);
    if (r == w_.load(std::memory_order_acquire)) return false;
    *out = items_[r % cap_];
    r_.store(r + 1, std::memory_order_release);
    return true;
  }

 private:
  std::vector<T> items_;
  const size_t cap_;
  alignas(64) std::atomic<uint64_t> w_{0};
  alignas(64) std::atomic<uint64_t> r_{0};
};

// The playback queue: float samples written by JS, taken by the I/O thread. Unlike a plain SPSC
// ring, flush() runs on the producer's thread and moves the read index; both sides move it with a
// compare-and-swap, so a flush and a take never both claim the same samples and the count of
// dropped samples is exact.
class SampleQueue {
 public:
  explicit SampleQueue(size_t capacity) : buf_(capacity), cap_(capacity) {}

  // Producer (JS thread): copy as many samples as fit; returns how many were accepted.
  size_t write(const float* in, size_t n) {
    uint64_t w = w_.load(std::memory_order_relaxed);
    size_t space = cap_ - static_cast<size_t>(w - r_.load(std::memory_order_acquire));
    if (n > space) n = space;
    for (size_t i = 0; i < n; i++) buf_[(w + i) % cap_] = in[i];
    w_.store(w + n, std::memory_order_release);
    return n;
  }

  // Producer (JS thread): drop everything queued; returns the number of samples dropped.
  uint64_t flush() {
    uint64_t w = w_.load(std::memory_order_relaxed);
    uint64_t r = r_.load(std::memory_order_acquire);
    while (!r_.compare_exchange_weak(r, w, std::memory_order_acq_rel)) {
    }
    return w - r;
  }

  // Consumer (I/O thread): copy up to n samples without taking them. Returns the read index the
  // copy started at (pass it to commit()) and sets *got.
  uint64_t peek(float* out, size_t n, size_t* got) const {
    uint64_t r = r_.load(std::memory_order_acquire);
    uint64_t avail = w_.load(std::memory_order_acquire) - r;
    if (n > avail) n = static_cast<size_t>(avail);
    for (size_t i = 0; i < n; i++) out[i] = buf_[(r + i) % cap_];
    *got = n;
    return r;
  }

  // Consumer: take the n samples peeked at index `from`. False when a flush got there first (the
  // copy must then be discarded).
  bool commit(uint64_t from, size_t n) {
    return r_.compare_exchange_strong(from, from + n, std::memory_order_acq_rel);
  }

  uint64_t written() const { return w_.load(std::memory_order_acquire); }
  uint64_t taken() const { return r_.load(std::memory_order_acquire); }

 private:
  std::vector<float> buf_;
  const size_t cap_;
  alignas(64) std::atomic<uint64_t> w_{0};
  alignas(64) std::atomic<uint64_t> r_{0};
};

// Frame pairs on their way to JS: fixed-size slots of (mic, ref) samples plus metadata.
class FrameRing {
 public:
  FrameRing(size_t slots, size_t frameSamples)
      : samples_(slots * frameSamples * 2), meta_(slots), slots_(slots), fs_(frameSamples) {}

  struct Meta {
    uint64_t index;      // capture sample index of mic[0]
    int64_t capturedNs;  // CLOCK_MONOTONIC when the I/O thread read the last period of the frame
  };

  // Producer: the slot to fill, or nullptr when JS has fallen a whole ring behind.
  float* begin(Meta** meta) {
    uint64_t w = w_.load(std::memory_order_relaxed);
    if (w - r_.load(std::memory_order_acquire) >= slots_) return nullptr;
    *meta = &meta_[w % slots_];
    return &samples_[(w % slots_) * fs_ * 2];
  }
  void end() { w_.store(w_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Consumer: the oldest slot (mic at [0, fs), ref at [fs, 2fs)), or nullptr when empty.
  const float* front(const Meta** meta) const {
    uint64_t r = r_.load(std::memory_order_relaxed);
    if (r == w_.load(std::memory_order_acquire)) return nullptr;
    *meta = &meta_[r % slots_];
    return &samples_[(r % slots_) * fs_ * 2];
  }
  void pop() { r_.store(r_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

 private:
  std::vector<float> samples_;
  std::vector<Meta> meta_;
  const size_t slots_, fs_;
  alignas(64) std::atomic<uint64_t> w_{0};
  alignas(64) std::atomic<uint64_t> r_{0};
};

}  // namespace vt
