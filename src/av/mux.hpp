#pragma once
// Writing a container: streams fed by our encoders or copied from an input,
// timestamps rescaled and interleaved, mp4/mov written with +faststart.
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "av/ffmpeg.hpp"
#include "av/file_io.hpp"
#include "av/payload_ref.hpp"

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

  // Before begin(): write through our own I/O, where a packet whose payload
  // is a reference into `sources` (PayloadSources::refer) takes its place in
  // the file as usual but its bytes are copied from its source file in the
  // kernel (FileWriter; end() waits for the copy). Packets then go out in
  // the order of their bytes in the sources, not interleaved by DTS (each
  // stream keeps its own order), so a source's bytes land in a few long
  // runs, one copy each. `sources` must outlive the Muxer. Not with
  // +faststart (its second pass reads the file back before the bytes are
  // in): reserve the moov's room instead (the mov muxer's moov_size).
  void copy_payloads_from(const PayloadSources& sources);

  // Writes the header; mp4/mov get +faststart (moov moved to the front).
  void begin(bool faststart = true);
  // Writes one packet whose timestamps are in `from`, rescaled to the stream's time base.
  void write(AVPacket& packet, int stream, AVRational from);
  // Flushes the waiting packets, writes the trailer, and waits until the payloads by reference are in.
  void end();

 private:
  std::string path_;
  const PayloadSources* sources_ = nullptr;
  std::unique_ptr<FileWriter> writer_;
  std::int64_t referred_ = 0;  // bytes of payloads by reference handed to the muxer
  // Payloads by reference: packets waiting per stream, and where each
  // stream's last written packet came from (source, position).
  using Place = std::pair<int, std::int64_t>;
  std::vector<std::deque<PacketPtr>> waiting_;
  std::vector<Place> last_;
  Place place_of(int stream, const AVPacket& p) const noexcept;
  void write_in_file_order(bool all);
  OutputPtr ctx_;              // after writer_: freed before the I/O it writes through
  bool begun_ = false;
};

}  // namespace seedreel::av
