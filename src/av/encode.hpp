#pragma once
// Encoders for what we write: H.264 video (BT.709 tagged) and AAC audio, plus
// the audio converter that feeds an encoder exact-size frames.
#include <cstdint>
#include <functional>
#include <string>

#include "av/ffmpeg.hpp"

extern "C" {
#include <libavutil/audio_fifo.h>
}

namespace seedreel::av {

struct VideoSettings {
  int width = 0;
  int height = 0;
  AVRational frame_rate{24, 1};
  AVPixelFormat pix_fmt = AV_PIX_FMT_YUV420P;
  std::string codec = "libx264";
  std::string preset = "medium";   // x264 preset: speed vs size
  int crf = 18;                    // quality when bitrate == 0
  std::int64_t bitrate = 0;        // bits/s average target (2-pass-free ABR with VBV)
  std::int64_t max_bitrate = 0;    // VBV cap, bits/s; 0 = none
  int gop = 0;                     // keyframe interval in frames; 0 = encoder default
  int threads = 0;                 // 0 = encoder default
  bool bt709 = true;               // tag primaries/transfer/matrix as BT.709, limited range
};

struct AudioSettings {
  std::string codec = "aac";
  int sample_rate = 48000;
  int channels = 2;
  std::int64_t bitrate = 128000;
};

class Encoder {
 public:
  // global_header: Muxer::needs_global_header() of the muxer it feeds.
  static Encoder video(const VideoSettings& s, bool global_header);
  static Encoder audio(const AudioSettings& s, bool global_header);

  AVCodecContext* get() const noexcept { return ctx_.get(); }
  AVCodecContext* operator->() const noexcept { return ctx_.get(); }
  // Samples per audio frame the encoder wants (0 for video or "any").
  int frame_size() const noexcept { return ctx_->frame_size; }

  // Sends a frame (pts in the encoder's time base; nullptr drains) and hands
  // every packet that comes out to `sink`, timestamps in the encoder's time base.
  void encode(const AVFrame* frame, const std::function<void(AVPacket&)>& sink);

 private:
  explicit Encoder(CodecContextPtr ctx);
  CodecContextPtr ctx_;
  PacketPtr packet_;
};

// Resamples any audio into an encoder's sample format, rate and layout and
// cuts it into frames of the encoder's frame size, with continuous pts counted
// in output samples (time base 1/sample_rate).
class AudioConverter {
 public:
  explicit AudioConverter(const AVCodecContext* encoder);
  ~AudioConverter();
  AudioConverter(const AudioConverter&) = delete;
  AudioConverter& operator=(const AudioConverter&) = delete;

  // Decoded input of any format; the resampler is (re)built when it changes.
  void push(const AVFrame& in);
  // Appends `samples` samples of silence at the output rate.
  void push_silence(std::int64_t samples);
  // Flushes the resampler's delay (call once at end of input).
  void flush();
  // Samples buffered and not yet popped.
  std::int64_t buffered() const;
  // Pops one frame of exactly frame_size samples; with `partial`, also a
  // shorter last frame. False when there is not enough.
  bool pop(AVFrame& out, bool partial = false);
  // Output samples produced so far (pushed through the fifo).
  std::int64_t samples_in() const noexcept { return samples_in_; }

 private:
  void rebuild(const AVFrame& in);
  void write(uint8_t** data, int samples);
  const AVCodecContext* enc_;
  SwrPtr swr_;
  AVAudioFifo* fifo_ = nullptr;
  AVChannelLayout in_layout_{};
  int in_rate_ = 0;
  int in_format_ = -1;
  std::int64_t samples_in_ = 0;
  std::int64_t next_pts_ = 0;
};

}  // namespace seedreel::av
