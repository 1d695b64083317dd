/*
 * sd_notify for Node: send one datagram to $NOTIFY_SOCKET from this process.
 *
 * Why native: Node's dgram module has no AF_UNIX datagram sockets, and spawning the systemd-notify
 * CLI sends from a child PID (needs NotifyAccess=all and races with the child's exit). libsystemd's
 * sd_notify would work but pulls in a library we do not otherwise need; the protocol is one
 * sendto() on a SOCK_DGRAM AF_UNIX socket, so it is written out here (~40 lines, N-API, builds for
 * arm64 with the same toolchain as the ALSA addon).
 *
 * notify(socketPath: string, message: string): void — throws an Error with errno text on failure.
 * A path starting with '@' is a Linux abstract socket (systemd uses those in containers).
 */
#include <errno.h>
#include <stdio.h>
#include <node_api.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, buf);
  return NULL;
}

static napi_value Notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "notify(socketPath, message)");
    return NULL;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], addr.sun_path, sizeof addr.sun_path, &path_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "socketPath must be a string");
    return NULL;
  }
  if (path_len == 0 || path_len >= sizeof addr.sun_path - 1) {
    napi_throw_range_error(env, NULL, "socketPath is empty or too long");
    return NULL;
  }
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0'; /* abstract namespace */
  socklen_t addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_len);

  size_t msg_len = 0;
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &msg_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "message must be a string");
    return NULL;
  }
  char msg[4096];
  if (msg_len >= sizeof msg) {
    napi_throw_range_error(env, NULL, "message longer than 4095 bytes");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[1], msg, sizeof msg, &msg_len);

  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  ssize_t sent = sendto(fd, msg, msg_len, MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
  int err = errno;
  close(fd);
  if (sent < 0) return throw_errno(env, "sendto NOTIFY_SOCKET", err);
  return NULL;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "notify", NAPI_AUTO_LENGTH, Notify, NULL, &fn);
  napi_set_named_property(env, exports, "notify", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
