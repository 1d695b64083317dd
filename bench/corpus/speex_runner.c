/* Reference runner for the frontend bench: SpeexDSP MDF echo canceller + preprocessor (denoise,
 * residual echo suppression), 10 ms frames at 16 kHz. Dev-only, compiled at bench time.
 * usage: speex_runner MIC.s16 REF.s16 OUT.s16 TAIL_SAMPLES   (prints wall and CPU seconds) */
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define FRAME 160

static short *slurp(const char *path, long *n) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END); long bytes = ftell(f); fseek(f, 0, SEEK_SET);
  short *buf = malloc(bytes);
  if (fread(buf, 1, bytes, f) != (size_t)bytes) { perror(path); exit(1); }
  fclose(f);
  *n = bytes / 2;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s MIC REF OUT TAIL\n", argv[0]); return 2; }
  long n, nr;
  short *mic = slurp(argv[1], &n), *ref = slurp(argv[2], &nr);
  if (nr < n) n = nr;
  short *out = calloc(n, sizeof(short));
  int rate = 16000;
  SpeexEchoState *echo = speex_echo_state_init(FRAME, atoi(argv[4]));
  SpeexPreprocessState *pp = speex_preprocess_state_init(FRAME, rate);
  speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
  speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, echo);
  struct timespec a, b, ca, cb;
  clock_gettime(CLOCK_MONOTONIC, &a);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
  for (long i = 0; i + FRAME <= n; i += FRAME) {
    speex_echo_cancellation(echo, mic + i, ref + i, out + i);
    speex_preprocess_run(pp, out + i);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
  FILE *f = fopen(argv[3], "wb");
  fwrite(out, sizeof(short), n, f);
  fclose(f);
  /* wall seconds, CPU seconds */
  printf("%.6f %.6f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9,
         (cb.tv_sec - ca.tv_sec) + (cb.tv_nsec - ca.tv_nsec) / 1e9);
  return 0;
}
