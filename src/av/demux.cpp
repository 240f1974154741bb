#include "av/demux.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "av/isobmff.hpp"
#include "util/interrupt.hpp"

extern "C" {
#include <libavutil/display.h>
}

namespace seedreel::av {

Input::Input(const std::string& path, const OpenOptions& options) : path_(path), budget_(options.deadline) {
  if (options.own_file) {
    // Only a regular file: anything else (missing, a pipe) is left to libavformat and its messages.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode)) {
      file_ = std::move(fd);
      size_ = st.st_size;
    }
  }
  open(options);
}

Input::Input(const std::string& path, UniqueFd file, std::int64_t size, const OpenOptions& options)
    : path_(path), budget_(options.deadline), file_(std::move(file)), size_(size) {
  open(options);
}

void Input::open(const OpenOptions& options) {
  quiet_logging();
  // A sample count no file of this size can hold makes libavformat build a
  // gigabyte index for it (isobmff.hpp): refused before it is opened.
  {
    UniqueFd look(file_ ? ::fcntl(file_.get(), F_DUPFD_CLOEXEC, 0) : ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (look && !sample_counts_plausible(look.get()))
      throw Error(ErrorKind::input, path_, "corrupt: a sample table claims more samples than the file has bytes");
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) throw std::bad_alloc();
  raw->interrupt_callback = {&Input::interrupted, this};
  raw->probesize = options.probesize;
  raw->max_analyze_duration = options.analyzeduration_us;
  if (file_) {
    reader_ = std::make_unique<FileReader>(file_.get(), size_);
    raw->pb = reader_->get();  // avformat_open_input marks it AVFMT_FLAG_CUSTOM_IO: ours to free
  }
  rearm();
  // On failure avformat_open_input frees the context itself.
  int ret = avformat_open_input(&raw, path_.c_str(), nullptr, nullptr);
  if (ret < 0) {
    if (ret == AVERROR_INVALIDDATA)
      throw Error(ErrorKind::input, path_, "not a recognised media file (or corrupt: " + error_string(ret) + ")");
    throw Error(ErrorKind::input, path_, "cannot open: " + error_string(ret));
  }
  ctx_.reset(raw);
  if (options.find_stream_info) find_stream_info();
}

void Input::find_stream_info() {
  rearm();
  read_ahead_ = true;
  check(avformat_find_stream_info(ctx_.get(), nullptr), ErrorKind::input, path_, "cannot read stream parameters");
}

bool Input::skip_payloads() {
  if (!reader_ || read_ahead_) return false;
  // Without NOFILLIN (which NOPARSE's comment asks for): mp4/mov packets are
  // whole frames with their own timestamps, and the fill-in code then yields
  // the same packets as with the parsers.
  ctx_->flags |= AVFMT_FLAG_NOPARSE;
  reader_->skip_payloads();
  return true;
}

std::unique_ptr<Input> Input::reopen() const {
  if (!file_) throw Error(ErrorKind::input, path_, "cannot reopen");
  UniqueFd fd(::fcntl(file_.get(), F_DUPFD_CLOEXEC, 0));
  if (!fd) throw Error(ErrorKind::input, path_, std::string("cannot reopen: ") + std::strerror(errno));
  OpenOptions o;
  o.probesize = ctx_->probesize;
  o.analyzeduration_us = ctx_->max_analyze_duration;
  o.deadline = budget_;
  o.find_stream_info = false;
  return std::unique_ptr<Input>(new Input(path_, std::move(fd), size_, o));
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

std::int64_t frame_ticks(const Input& in, const AVStream* stream) {
  AVRational rate = av_guess_frame_rate(const_cast<AVFormatContext*>(in.get()), const_cast<AVStream*>(stream), nullptr);
  if (rate.num <= 0 || rate.den <= 0) rate = {25, 1};
  return std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(rate), stream->time_base));
}

bool duration_untrusted(const AVFormatContext* ctx) {
  return ctx->duration == AV_NOPTS_VALUE || ctx->duration <= 0 ||
         ctx->duration_estimation_method == AVFMT_DURATION_FROM_BITRATE;
}

std::vector<std::int64_t> measure_stream_spans(const std::string& path) {
  Input in(path);
  std::vector<std::int64_t> first(in->nb_streams, AV_NOPTS_VALUE), end(in->nb_streams, AV_NOPTS_VALUE);
  PacketPtr packet = make_packet();
  for (;;) {
    throw_if_interrupted(path);
    in.rearm();
    if (av_read_frame(in.get(), packet.get()) < 0) break;  // the end, or as far as it can be read
    const auto i = std::size_t(packet->stream_index);
    const std::int64_t at = packet->pts != AV_NOPTS_VALUE ? packet->pts : packet->dts;
    if (at != AV_NOPTS_VALUE && i < first.size()) {
      if (first[i] == AV_NOPTS_VALUE || at < first[i]) first[i] = at;
      const std::int64_t stop = at + std::max<std::int64_t>(packet->duration, 0);
      if (end[i] == AV_NOPTS_VALUE || stop > end[i]) end[i] = stop;
    }
    av_packet_unref(packet.get());
  }
  for (std::size_t i = 0; i < end.size(); ++i)
    if (end[i] != AV_NOPTS_VALUE) end[i] -= first[i];
  return end;
}

double stream_seconds(const AVStream* stream) {
  if (stream->duration == AV_NOPTS_VALUE || stream->duration <= 0) return -1;
  return double(stream->duration) * av_q2d(stream->time_base);
}

}  // namespace seedreel::av
