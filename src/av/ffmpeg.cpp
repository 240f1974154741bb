#include "av/ffmpeg.hpp"

#include <mutex>

extern "C" {
#include <libavutil/opt.h>
}

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

namespace {

// FFmpeg reports concealment, missing references and damaged slices only as
// log lines. A decoder whose context carries a DamageCounter in `opaque`
// (frame-thread copies inherit it) has those lines counted; everything still
// reaches the default callback, which prints nothing at AV_LOG_QUIET.
void count_decoder_errors(void* avcl, int level, const char* fmt, va_list vl) {
  if (level <= AV_LOG_ERROR && avcl && *static_cast<const AVClass**>(avcl) == avcodec_get_class()) {
    auto* ctx = static_cast<AVCodecContext*>(avcl);
    if (ctx->opaque && av_codec_is_decoder(ctx->codec))
      static_cast<DamageCounter*>(ctx->opaque)->fetch_add(1, std::memory_order_relaxed);
  }
  av_log_default_callback(avcl, level, fmt, vl);
}

}  // namespace

void quiet_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    av_log_set_level(AV_LOG_QUIET);
    av_log_set_callback(count_decoder_errors);
  });
}

}  // namespace seedreel::av
