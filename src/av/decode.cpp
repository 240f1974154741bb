#include "av/decode.hpp"

#include <algorithm>

#include "util/interrupt.hpp"

namespace seedreel::av {

Decoder::Decoder(const Input& in, int stream_index, int threads) : path_(in.path()) {
  if (stream_index < 0 || unsigned(stream_index) >= in->nb_streams)
    throw Error(ErrorKind::input, path_, "no such stream");
  stream_ = in->streams[stream_index];
  const AVCodec* codec = avcodec_find_decoder(stream_->codecpar->codec_id);
  if (!codec)
    throw Error(ErrorKind::input, path_,
                std::string("no decoder for codec ") + avcodec_get_name(stream_->codecpar->codec_id));
  ctx_.reset(avcodec_alloc_context3(codec));
  if (!ctx_) throw std::bad_alloc();
  check(avcodec_parameters_to_context(ctx_.get(), stream_->codecpar), ErrorKind::input, path_, "bad codec parameters");
  ctx_->pkt_timebase = stream_->time_base;
  ctx_->thread_count = threads;
  // FFmpeg's frame threads flag some H.264 field pairs (PAFF) as corrupt
  // although every pixel decodes the same as with one thread; interlaced
  // H.264 takes slice threads, so that the flag still means damage.
  const AVCodecParameters* par = stream_->codecpar;
  if (par->codec_id == AV_CODEC_ID_H264 && par->field_order != AV_FIELD_PROGRESSIVE && par->field_order != AV_FIELD_UNKNOWN)
    ctx_->thread_type = FF_THREAD_SLICE;
  ctx_->opaque = damage_.get();
  quiet_logging();  // installs the log hook that counts into damage_
  tick_ = frame_ticks(in, stream_);
  if (stream_->start_time != AV_NOPTS_VALUE) start_ = stream_->start_time;
  check(avcodec_open2(ctx_.get(), codec, nullptr), ErrorKind::input, path_, "cannot open decoder");
}

void Decoder::send(const AVPacket* packet) {
  int ret = avcodec_send_packet(ctx_.get(), packet);
  // EAGAIN cannot happen when every frame is received before the next send;
  // EOF means draining already began. Corrupt packets are skipped like ffmpeg does.
  if (ret == AVERROR(ENOMEM)) throw std::bad_alloc();
  if (ret < 0 && ret != AVERROR_EOF && ret != AVERROR(EAGAIN)) damage_->fetch_add(1, std::memory_order_relaxed);
  if (packet && (packet->flags & AV_PKT_FLAG_CORRUPT)) damage_->fetch_add(1, std::memory_order_relaxed);
}

bool Decoder::flagged(const AVFrame& frame) noexcept {
  return (frame.flags & AV_FRAME_FLAG_CORRUPT) || frame.decode_error_flags != 0;
}

bool Decoder::receive(AVFrame* frame) {
  for (;;) {
    int ret = avcodec_receive_frame(ctx_.get(), frame);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return false;
    if (ret == AVERROR(ENOMEM)) throw std::bad_alloc();
    if (ret < 0) {  // a frame that failed to decode: skipped, as ffmpeg does, and counted
      damage_->fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (flagged(*frame)) damage_->fetch_add(1, std::memory_order_relaxed);
    frame->pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : next_pts_;
    // A stream with no timestamps at all (a raw elementary stream): counted
    // from its start, as the ffmpeg CLI does. Only from the top of the file:
    // after a seek, where that frame sits is not known.
    if (frame->pts == AV_NOPTS_VALUE && !sought_) frame->pts = start_;
    // Unstamped frames follow each other by their packets' durations, as the
    // ffmpeg CLI times them (a field pair then counts one field's duration).
    if (frame->pts != AV_NOPTS_VALUE) next_pts_ = frame->pts + (frame->pkt_duration > 0 ? frame->pkt_duration : tick_);
    return true;
  }
}

void Decoder::flush() {
  avcodec_flush_buffers(ctx_.get());
  next_pts_ = AV_NOPTS_VALUE;
  sought_ = true;
}

std::int64_t decode_frames(Input& in, Decoder& dec, const std::function<bool(AVFrame&)>& on_frame) {
  PacketPtr packet = make_packet();
  FramePtr frame = make_frame();
  std::int64_t count = 0;
  auto drain_ready = [&]() {
    while (dec.receive(frame.get())) {
      ++count;
      bool more = on_frame(*frame);
      av_frame_unref(frame.get());
      if (!more) return false;
    }
    return true;
  };
  for (;;) {
    throw_if_interrupted(in.path());
    in.rearm();
    int ret = av_read_frame(in.get(), packet.get());
    if (ret == AVERROR_EOF) break;
    if (ret < 0) {
      if (seedreel::interrupted()) throw_if_interrupted(in.path());
      check(ret, ErrorKind::input, in.path(), "read failed");
    }
    if (packet->stream_index == dec.index()) {
      dec.send(packet.get());
      av_packet_unref(packet.get());
      if (!drain_ready()) return count;
    } else {
      av_packet_unref(packet.get());
    }
  }
  dec.send(nullptr);
  drain_ready();
  return count;
}

}  // namespace seedreel::av
