#pragma once
// Writing a container: streams fed by our encoders or copied from an input,
// timestamps rescaled and interleaved, mp4/mov written with +faststart.
#include <string>

#include "av/ffmpeg.hpp"

namespace seedreel::av {

class Muxer {
 public:
  // `path` is usually AtomicFile::temp_path(); `format` "" picks the muxer
  // from the extension ("mp4", "mov", "wav", "mp3" ...). Error(io) on failure.
  explicit Muxer(const std::string& path, const std::string& format = "");

  // Whether encoders feeding this muxer must set AV_CODEC_FLAG_GLOBAL_HEADER.
  bool needs_global_header() const noexcept;
  // A stream taking an encoder's packets; returns its index.
  int add_stream(const AVCodecContext* encoder);
  // A stream copied from an input stream (parameters, time base, rotation side data).
  int add_copy(const AVStream* input);
  AVStream* stream(int index) const noexcept { return ctx_->streams[index]; }
  AVFormatContext* get() const noexcept { return ctx_.get(); }

  // Writes the header; mp4/mov get +faststart (moov moved to the front).
  void begin(bool faststart = true);
  // Writes one packet whose timestamps are in `from`, rescaled to the stream's time base.
  void write(AVPacket& packet, int stream, AVRational from);
  // Flushes interleaving queues and writes the trailer.
  void end();

 private:
  std::string path_;
  OutputPtr ctx_;
  bool begun_ = false;
};

}  // namespace seedreel::av
