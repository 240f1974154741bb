#include "av/ffmpeg.hpp"

#include <mutex>

namespace seedreel::av {

FramePtr make_frame() {
  FramePtr f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

PacketPtr make_packet() {
  PacketPtr p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

std::string error_string(int errnum) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(errnum, buf, sizeof buf);
  return buf;
}

int check(int ret, ErrorKind kind, const std::string& subject, const char* what) {
  if (ret < 0) throw Error(kind, subject, std::string(what) + ": " + error_string(ret));
  return ret;
}

void quiet_logging() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

}  // namespace seedreel::av
