#include "av/mux.hpp"

namespace seedreel::av {

Muxer::Muxer(const std::string& path, const std::string& format) : path_(path) {
  quiet_logging();
  AVFormatContext* raw = nullptr;
  int ret = avformat_alloc_output_context2(&raw, nullptr, format.empty() ? nullptr : format.c_str(), path.c_str());
  if (ret < 0 || !raw) throw Error(ErrorKind::io, path, "no muxer for this output: " + error_string(ret));
  ctx_.reset(raw);
}

bool Muxer::needs_global_header() const noexcept { return ctx_->oformat->flags & AVFMT_GLOBALHEADER; }

int Muxer::add_stream(const AVCodecContext* encoder) {
  AVStream* st = avformat_new_stream(ctx_.get(), nullptr);
  if (!st) throw std::bad_alloc();
  check(avcodec_parameters_from_context(st->codecpar, encoder), ErrorKind::io, path_, "stream parameters");
  st->time_base = encoder->time_base;
  if (encoder->codec_type == AVMEDIA_TYPE_VIDEO) {
    st->avg_frame_rate = encoder->framerate;
    st->r_frame_rate = encoder->framerate;
    st->sample_aspect_ratio = encoder->sample_aspect_ratio;
  }
  return st->index;
}

int Muxer::add_copy(const AVStream* input) {
  AVStream* st = avformat_new_stream(ctx_.get(), nullptr);
  if (!st) throw std::bad_alloc();
  check(avcodec_parameters_copy(st->codecpar, input->codecpar), ErrorKind::io, path_, "stream parameters");
  // A codec tag from another container may be invalid in this one; let the muxer choose.
  st->codecpar->codec_tag = 0;
  st->time_base = input->time_base;
  st->avg_frame_rate = input->avg_frame_rate;
  st->r_frame_rate = input->r_frame_rate;
  st->sample_aspect_ratio = input->sample_aspect_ratio;
  st->disposition = input->disposition;
  // Keep the display matrix: a remux must show the picture the same way up.
  for (int i = 0; i < input->nb_side_data; ++i) {
    const AVPacketSideData& sd = input->side_data[i];
    uint8_t* dst = av_stream_new_side_data(st, sd.type, sd.size);
    if (!dst) throw std::bad_alloc();
    std::copy(sd.data, sd.data + sd.size, dst);
  }
  return st->index;
}

void Muxer::copy_payloads_from(const PayloadSources& sources) {
  if (begun_ || (ctx_->oformat->flags & AVFMT_NOFILE)) throw Error(ErrorKind::io, path_, "cannot copy payloads by reference here");
  sources_ = &sources;
}

void Muxer::begin(bool faststart) {
  std::string name = ctx_->oformat->name;
  bool isobmff = name.find("mp4") != std::string::npos || name.find("mov") != std::string::npos;
  if (sources_) {
    if (faststart && isobmff) throw Error(ErrorKind::io, path_, "+faststart cannot be combined with payloads by reference");
    writer_ = std::make_unique<FileWriter>(path_, *sources_);
    ctx_->pb = writer_->get();
    ctx_->flags |= AVFMT_FLAG_CUSTOM_IO;
    waiting_.resize(ctx_->nb_streams);
    last_.assign(ctx_->nb_streams, Place{-1, -1});
  } else if (!(ctx_->oformat->flags & AVFMT_NOFILE)) {
    check(avio_open(&ctx_->pb, path_.c_str(), AVIO_FLAG_WRITE), ErrorKind::io, path_, "cannot write");
  }
  AVDictionary* raw = nullptr;
  DictPtr opts(&raw, av_dict_free);
  if (faststart && isobmff) av_dict_set(&raw, "movflags", "+faststart", 0);
  check(avformat_write_header(ctx_.get(), &raw), ErrorKind::io, path_, "cannot write header");
  begun_ = true;
}

void Muxer::write(AVPacket& packet, int stream, AVRational from) {
  packet.stream_index = stream;
  av_packet_rescale_ts(&packet, from, ctx_->streams[stream]->time_base);
  packet.pos = -1;
  if (!writer_) {
    check(av_interleaved_write_frame(ctx_.get(), &packet), ErrorKind::io, path_, "cannot write packet");
    return;
  }
  if (sources_->origin(packet.data, packet.size).lookup == PayloadSources::Lookup::reference) referred_ += packet.size;
  PacketPtr waiting = make_packet();
  av_packet_move_ref(waiting.get(), &packet);
  waiting_[std::size_t(stream)].push_back(std::move(waiting));
  write_in_file_order(false);
}

// A packet by reference sorts by where its bytes are; one made in memory (the
// silence of a copied audio track) goes right after its stream's previous packet.
Muxer::Place Muxer::place_of(int stream, const AVPacket& p) const noexcept {
  const PayloadSources::Origin o = sources_->origin(p.data, p.size);
  return o.lookup == PayloadSources::Lookup::reference ? Place{o.source, o.pos} : last_[std::size_t(stream)];
}

// Writes the waiting packet that comes first in the sources, while every
// stream has one waiting (a stream without may yet get an earlier one);
// with `all`, until none waits.
void Muxer::write_in_file_order(bool all) {
  for (;;) {
    int first = -1;
    Place at{};
    for (int s = 0; s < int(waiting_.size()); ++s) {
      if (waiting_[std::size_t(s)].empty()) {
        if (all) continue;
        return;
      }
      const Place p = place_of(s, *waiting_[std::size_t(s)].front());
      if (first < 0 || p < at) {
        first = s;
        at = p;
      }
    }
    if (first < 0) return;
    PacketPtr p = std::move(waiting_[std::size_t(first)].front());
    waiting_[std::size_t(first)].pop_front();
    last_[std::size_t(first)] = at;
    check(av_write_frame(ctx_.get(), p.get()), ErrorKind::io, path_, "cannot write packet");
  }
}

void Muxer::end() {
  if (writer_)
    write_in_file_order(true);
  else
    check(av_interleaved_write_frame(ctx_.get(), nullptr), ErrorKind::io, path_, "cannot flush");
  check(av_write_trailer(ctx_.get()), ErrorKind::io, path_, "cannot write trailer");
  if (writer_) {
    check(writer_->get()->error, ErrorKind::io, path_, "cannot write");
    // Every payload by reference must have reached the writer whole, at its
    // stand-in address; one copied elsewhere first would now be zeros.
    if (writer_->left_out() != referred_)
      throw Error(ErrorKind::io, path_, "the muxer moved a payload it was to leave in place; not written");
    writer_->fill();
  } else if (ctx_->pb && !(ctx_->oformat->flags & AVFMT_NOFILE)) {
    check(avio_closep(&ctx_->pb), ErrorKind::io, path_, "cannot close");
  }
}

}  // namespace seedreel::av
