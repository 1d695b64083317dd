{
  # Native parts of the firmware, built by node-gyp (`npm run build:native`).
  # sd_notify: one sendto() to $NOTIFY_SOCKET (src/supervisor/notify/sd_notify.c).
  "targets": [
    {
      "target_name": "sd_notify",
      "sources": ["src/supervisor/notify/sd_notify.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
