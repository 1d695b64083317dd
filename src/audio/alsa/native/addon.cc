// N-API surface of the ALSA engine (loaded by src/audio/alsa/native.ts). The JS side owns the
// typed arrays; reading a frame copies into them, so nothing is allocated per frame.
#include <napi.h>

#include <memory>

#include "alsa_errors.h"
#include "engine.h"
#include "list_pcms.h"

namespace {

snd_pcm_format_t parseFormat(const std::string& s) {
  if (s == "S16_LE") return SND_PCM_FORMAT_S16_LE;
  if (s == "S32_LE") return SND_PCM_FORMAT_S32_LE;
  if (s == "FLOAT_LE") return SND_PCM_FORMAT_FLOAT_LE;
  return SND_PCM_FORMAT_UNKNOWN;
}

class AlsaEngine : public Napi::ObjectWrap<AlsaEngine> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "AlsaEngine",
                       {InstanceMethod("start", &AlsaEngine::Start), InstanceMethod("stop", &AlsaEngine::Stop),
                        InstanceMethod("write", &AlsaEngine::Write), InstanceMethod("flush", &AlsaEngine::Flush),
                        InstanceMethod("pause", &AlsaEngine::Pause), InstanceMethod("resume", &AlsaEngine::Resume),
                        InstanceMethod("played", &AlsaEngine::Played),
                        InstanceMethod("readFrame", &AlsaEngine::ReadFrame),
                        InstanceMethod("readEvent", &AlsaEngine::ReadEvent),
                        InstanceMethod("readLatencies", &AlsaEngine::ReadLatencies),
                        InstanceMethod("stats", &AlsaEngine::Stats)});
  }

  // new AlsaEngine(options, onWake): onWake() is called on the JS thread when frames or events wait.
  explicit AlsaEngine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AlsaEngine>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsFunction())
      throw Napi::TypeError::New(env, "AlsaEngine(options, onWake)");
    Napi::Object o = info[0].As<Napi::Object>();
    vt::EngineConfig c;
    auto str = [&](const char* k, std::string* v) {
      if (o.Has(k)) *v = o.Get(k).As<Napi::String>().Utf8Value();
    };
    auto num = [&](const char* k, unsigned* v) {
      if (o.Has(k)) *v = o.Get(k).As<Napi::Number>().Uint32Value();
    };
    auto fmt = [&](const char* k, snd_pcm_format_t* v) {
      if (!o.Has(k)) return;
      *v = parseFormat(o.Get(k).As<Napi::String>().Utf8Value());
      if (*v == SND_PCM_FORMAT_UNKNOWN) throw Napi::TypeError::New(env, std::string(k) + ": S16_LE, S32_LE or FLOAT_LE");
    };
    str("captureDevice", &c.captureDevice);
    str("playbackDevice", &c.playbackDevice);
    fmt("captureFormat", &c.captureFormat);
    fmt("playbackFormat", &c.playbackFormat);
    num("captureChannels", &c.captureChannels);
    num("playbackChannels", &c.playbackChannels);
    num("micChannel", &c.micChannel);
    num("rate", &c.rate);
    num("periodFrames", &c.periodFrames);
    num("periods", &c.periods);
    num("frameSamples", &c.frameSamples);
    num("fillFrames", &c.fillFrames);
    num("fadeSamples", &c.fadeSamples);
    num("queueSeconds", &c.queueSeconds);
    num("frameSlots", &c.frameSlots);
    num("reopenMinMs", &c.reopenMinMs);
    num("reopenMaxMs", &c.reopenMaxMs);
    num("stallMs", &c.stallMs);
    if (c.micChannel >= c.captureChannels) throw Napi::RangeError::New(env, "micChannel must be < captureChannels");
    if (c.frameSamples == 0 || c.rate == 0 || c.periodFrames == 0 || c.periods < 2 || c.frameSlots == 0)
      throw Napi::RangeError::New(env, "rate, frameSamples, periodFrames, frameSlots > 0 and periods >= 2");
    engine_ = std::make_unique<vt::Engine>(c);
    onWake_ = Napi::Persistent(info[1].As<Napi::Function>());
    // If the process exits with the device still open, join the I/O thread before V8 goes away.
    env_ = env;
    napi_add_env_cleanup_hook(env, &AlsaEngine::AtExit, this);
  }

  ~AlsaEngine() override {
    napi_remove_env_cleanup_hook(env_, &AlsaEngine::AtExit, this);
    if (engine_) engine_->stop();
  }

 private:
  static void AtExit(void* self) { static_cast<AlsaEngine*>(self)->engine_->stop(); }

  static void CallJs(Napi::Env env, Napi::Function fn, AlsaEngine* self, void*) {
    if (env == nullptr || fn == nullptr) return;
    // Cleared before JS drains, so a frame that arrives during the drain wakes JS again.
    self->engine_->wakePending.store(false);
    // The raw call, not fn.Call(): if the handler throws, its exception simply stays pending and
    // Node reports it as uncaught, like any callback's. Wrapping it in a Napi::Error would allocate
    // on an environment that may be shutting down (a worker terminated with the device open), and
    // node-addon-api aborts the process when that allocation fails.
    napi_value result;
    napi_call_function(env, env.Undefined(), fn, 0, nullptr, &result);
  }
  using Tsfn = Napi::TypedThreadSafeFunction<AlsaEngine, void, CallJs>;

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (running_) return env.Undefined();
    vt::installAlsaErrorHandler();
    tsfn_ = Tsfn::New(env, onWake_.Value(), "alsa-engine", 0, 1, this);
    engine_->wakePending.store(false);
    engine_->wake = [this] { tsfn_.NonBlockingCall(); };
    std::string what;
    int err = engine_->start(&what);
    if (err < 0) {
      engine_->wake = nullptr;
      tsfn_.Release();
      Napi::Error e = Napi::Error::New(env, what);
      e.Set("errno", Napi::Number::New(env, err));
      throw e;
    }
    running_ = true;
    return env.Undefined();
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (running_) {
      engine_->stop();
      engine_->wake = nullptr;
      tsfn_.Release();
      running_ = false;
    }
    return info.Env().Undefined();
  }

  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Float32Array a = info[0].As<Napi::Float32Array>();
    return Napi::Number::New(info.Env(), static_cast<double>(engine_->write(a.Data(), a.ElementLength())));
  }

  Napi::Value Flush(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(engine_->flush()));
  }

  Napi::Value Pause(const Napi::CallbackInfo& info) {
    engine_->pause();
    return info.Env().Undefined();
  }

  Napi::Value Resume(const Napi::CallbackInfo& info) {
    engine_->resume();
    return info.Env().Undefined();
  }

  Napi::Value Played(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(engine_->playedSamples()));
  }

  // readFrame(mic, ref, meta): copies the oldest frame pair into mic/ref, meta[0] = capture index
  // of mic[0], meta[1] = CLOCK_MONOTONIC ms when it was read from ALSA. False when none waits.
  Napi::Value ReadFrame(const Napi::CallbackInfo& info) {
    Napi::Float32Array mic = info[0].As<Napi::Float32Array>();
    Napi::Float32Array ref = info[1].As<Napi::Float32Array>();
    Napi::Float64Array meta = info[2].As<Napi::Float64Array>();
    const vt::FrameRing::Meta* m;
    const float* slot = engine_->frames.front(&m);
    if (!slot) return Napi::Boolean::New(info.Env(), false);
    size_t fs = mic.ElementLength();
    std::copy(slot, slot + fs, mic.Data());
    std::copy(slot + fs, slot + 2 * fs, ref.Data());
    meta[0] = static_cast<double>(m->index);
    meta[1] = static_cast<double>(m->capturedNs) / 1e6;
    engine_->frames.pop();
    return Napi::Boolean::New(info.Env(), true);
  }

  // readEvent(out Int32Array(3)): [kind, value, errno]; false when none.
  Napi::Value ReadEvent(const Napi::CallbackInfo& info) {
    Napi::Int32Array out = info[0].As<Napi::Int32Array>();
    vt::EngineEvent ev;
    if (!engine_->events.pop(&ev)) return Napi::Boolean::New(info.Env(), false);
    out[0] = ev.kind;
    out[1] = ev.value;
    out[2] = ev.err;
    return Napi::Boolean::New(info.Env(), true);
  }

  // readLatencies(out Float64Array): write-to-ALSA latencies (ms) measured since the last call.
  Napi::Value ReadLatencies(const Napi::CallbackInfo& info) {
    Napi::Float64Array out = info[0].As<Napi::Float64Array>();
    size_t n = 0;
    float v;
    while (n < out.ElementLength() && engine_->jsToAlsaMs.pop(&v)) out[n++] = v;
    return Napi::Number::New(info.Env(), static_cast<double>(n));
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    vt::EngineStats s = engine_->stats();
    Napi::Object o = Napi::Object::New(env);
    static const char* states[] = {"closed", "opening", "running", "lost", "reopening"};
    o.Set("state", states[s.state]);
    o.Set("written", static_cast<double>(s.written));
    o.Set("taken", static_cast<double>(s.taken));
    o.Set("flushed", static_cast<double>(s.flushed));
    o.Set("played", static_cast<double>(s.played));
    o.Set("xrunsCapture", static_cast<double>(s.xrunsCapture));
    o.Set("xrunsPlayback", static_cast<double>(s.xrunsPlayback));
    o.Set("reopens", static_cast<double>(s.reopens));
    o.Set("frameDrops", static_cast<double>(s.frameDrops));
    o.Set("captureIndex", static_cast<double>(s.captureIndex));
    o.Set("periodFrames", s.period);
    o.Set("bufferFrames", s.buffer);
    o.Set("fillFrames", s.fill);
    o.Set("linked", s.linked);
    o.Set("systemClock", s.systemClock);
    o.Set("paused", s.paused);
    o.Set("realtime", s.realtime);
    o.Set("refOffset", static_cast<double>(s.refOffset));
    o.Set("captureDelay", static_cast<double>(s.captureDelay));
    o.Set("playbackDelay", static_cast<double>(s.playbackDelay));
    return o;
  }

  std::unique_ptr<vt::Engine> engine_;
  Napi::FunctionReference onWake_;
  Tsfn tsfn_;
  napi_env env_ = nullptr;
  bool running_ = false;
};

Napi::Value ListPcms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> extra;
  if (info[0].IsArray()) {
    Napi::Array a = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) extra.push_back(a.Get(i).As<Napi::String>().Utf8Value());
  }
  vt::installAlsaErrorHandler();
  std::vector<vt::PcmEntry> list = vt::listPcms(extra);
  auto caps = [&](const vt::PcmCaps& c) -> Napi::Value {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ok", c.ok);
    if (!c.ok) {
      o.Set("error", c.error);
      return o;
    }
    Napi::Array rates = Napi::Array::New(env, c.rates.size());
    for (size_t i = 0; i < c.rates.size(); i++) rates.Set(i, c.rates[i]);
    Napi::Array formats = Napi::Array::New(env, c.formats.size());
    for (size_t i = 0; i < c.formats.size(); i++) formats.Set(i, c.formats[i]);
    o.Set("rates", rates);
    o.Set("channelsMin", c.channelsMin);
    o.Set("channelsMax", c.channelsMax);
    o.Set("formats", formats);
    return o;
  };
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); i++) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("name", list[i].name);
    e.Set("description", list[i].description);
    e.Set("capture", caps(list[i].capture));
    e.Set("playback", caps(list[i].playback));
    out.Set(i, e);
  }
  return out;
}

Napi::Value NowMs(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(vt::monotonicNs()) / 1e6);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("AlsaEngine", AlsaEngine::Init(env));
  exports.Set("listPcms", Napi::Function::New(env, ListPcms));
  exports.Set("nowMs", Napi::Function::New(env, NowMs));
  return exports;
}

}  // namespace

NODE_API_MODULE(alsa_pcm, Init)
