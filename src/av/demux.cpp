#include "av/demux.hpp"

#include <cmath>

#include "util/interrupt.hpp"

extern "C" {
#include <libavutil/display.h>
}

namespace seedreel::av {

Input::Input(const std::string& path, const OpenOptions& options)
    : path_(path), budget_(options.deadline) {
  quiet_logging();
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) throw std::bad_alloc();
  raw->interrupt_callback = {&Input::interrupted, this};
  raw->probesize = options.probesize;
  raw->max_analyze_duration = options.analyzeduration_us;
  rearm();
  // On failure avformat_open_input frees the context itself.
  int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (ret < 0) {
    if (ret == AVERROR_INVALIDDATA)
      throw Error(ErrorKind::input, path, "not a recognised media file (or corrupt: " + error_string(ret) + ")");
    throw Error(ErrorKind::input, path, "cannot open: " + error_string(ret));
  }
  ctx_.reset(raw);
  if (options.find_stream_info) {
    rearm();
    check(avformat_find_stream_info(raw, nullptr), ErrorKind::input, path, "cannot read stream parameters");
  }
}

void Input::rearm() { deadline_ = std::chrono::steady_clock::now() + budget_; }

int Input::interrupted(void* self) {
  // Ctrl-C also ends a blocking read, so the caller can unwind and clean up.
  return seedreel::interrupted() || std::chrono::steady_clock::now() > static_cast<Input*>(self)->deadline_ ? 1 : 0;
}

int Input::best_stream(AVMediaType type) const {
  for (unsigned i = 0; i < ctx_->nb_streams; ++i) {
    const AVStream* s = ctx_->streams[i];
    if (s->codecpar->codec_type == type && !(s->disposition & AV_DISPOSITION_ATTACHED_PIC)) return int(i);
  }
  return -1;
}

int rotation_of(const AVStream* stream) {
  const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
  if (!matrix) return 0;
  double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(ccw)) return 0;
  // av_display_rotation_get is counter-clockwise; display needs the opposite turn.
  int cw = int(std::lround(-ccw)) % 360;
  if (cw < 0) cw += 360;
  return (cw + 45) / 90 * 90 % 360;
}

double stream_seconds(const AVStream* stream) {
  if (stream->duration == AV_NOPTS_VALUE || stream->duration <= 0) return -1;
  return double(stream->duration) * av_q2d(stream->time_base);
}

}  // namespace seedreel::av
