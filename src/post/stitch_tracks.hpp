#pragma once
// The two output tracks of a stitch, each written clip after clip: a copy
// (in which a clip that differs can be re-encoded alone) or one re-encoded
// stream. The video track decides where each clip ends; the audio track then
// fills exactly that span, so audio never drifts from video however many
// seams there are.
#include <memory>
#include <string>
#include <vector>

#include "av/demux.hpp"
#include "av/encode.hpp"
#include "av/mux.hpp"

namespace seedreel::post {

struct Clip {
  std::string path;
  std::unique_ptr<av::Input> in;
  const AVStream* video = nullptr;
  const AVStream* audio = nullptr;  // nullptr when the clip has none
  int rotation = 0;
};

class VideoTrack {
 public:
  virtual ~VideoTrack() = default;
  // drop: how many of the clip's first displayed frames to leave out (frames
  // that repeat the previous clip's end). Only a re-encoded track can drop.
  virtual void begin_clip(const Clip& clip, int drop) = 0;
  // One packet of the clip's video stream.
  virtual void packet(AVPacket& p) = 0;
  // Ends the clip; returns where the output video now ends, seconds.
  virtual double end_clip() = 0;
  virtual void finish() = 0;
};

class AudioTrack {
 public:
  virtual ~AudioTrack() = default;
  // Writes a clip's audio (its audio stream's packets; none for a silent clip)
  // to cover the output span [v_start, v_end) of its video, leaving out the
  // first `skip` seconds of the clip. Returns where its audio starts minus v_start, seconds.
  virtual double add_clip(const Clip& clip, std::vector<av::PacketPtr>& packets, double skip, double v_start,
                          double v_end) = 0;
  // Ends the track at the video's end; returns the audio duration, seconds.
  virtual double finish(double v_end) = 0;
};

struct InbandTarget;
// Copies every clip's packets, except the clips marked in `reencode`, which
// are encoded alone to `inband` (post/inband_h264) into the same track.
std::unique_ptr<VideoTrack> copy_video(av::Muxer& mux, const AVStream* first, const InbandTarget* inband = nullptr,
                                       std::vector<bool> reencode = {});
std::unique_ptr<VideoTrack> encode_video(av::Muxer& mux, const av::VideoSettings& settings);
// Copies every clip's AAC frames, except the clips marked in `reencode`,
// whose audio is encoded alone into the same stream. nullptr when our
// encoder's frames (silence for the gaps, re-encoded clips) would not be
// valid in the copied stream's exact configuration.
std::unique_ptr<AudioTrack> copy_audio(av::Muxer& mux, const AVStream* first, std::vector<bool> reencode = {});
std::unique_ptr<AudioTrack> encode_audio(av::Muxer& mux, const av::AudioSettings& settings);

}  // namespace seedreel::post
