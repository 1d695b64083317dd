{
  # Native parts of the firmware, built by node-gyp (`npm run build:native`).
  # sd_notify: one sendto() to $NOTIFY_SOCKET (src/supervisor/notify/sd_notify.c).
  # alsa_pcm: the ALSA full-duplex engine and device listing (src/audio/alsa/native/, -lasound).
  "targets": [
    {
      "target_name": "sd_notify",
      "sources": ["src/supervisor/notify/sd_notify.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    },
    {
      "target_name": "alsa_pcm",
      "sources": [
        "src/audio/alsa/native/addon.cc",
        "src/audio/alsa/native/engine.cc",
        "src/audio/alsa/native/pcm_setup.cc",
        "src/audio/alsa/native/list_pcms.cc",
        "src/audio/alsa/native/alsa_errors.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-Wall", "-Wextra", "-O2", "-std=c++17"],
      "libraries": ["-lasound", "-lpthread"]
    }
  ]
}
