#pragma once
// What probe learns about a file: plain values, no library handles.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace seedreel {

enum class MediaKind { image, video, audio };
const char* to_string(MediaKind kind) noexcept;

struct ImageProps {
  std::string loader;        // libvips loader, e.g. "jpegload"
  int bands = 0;
  bool alpha = false;
  int bit_depth = 8;         // per band
  std::string colour_space;  // libvips interpretation: srgb, cmyk, b-w, rgb16, grey16, ...
  int orientation = 1;       // EXIF orientation tag, 1..8
  int pages = 1;             // > 1 for animated GIF/WebP and multi-page TIFF
};

struct VideoStream {
  std::string codec;          // "h264", "hevc", ...
  std::string profile;        // "High", "Main", ... ("" when unknown)
  std::string pix_fmt;        // "yuv420p", ... ("" when unknown)
  int coded_width = 0;        // as stored, before the display matrix
  int coded_height = 0;
  int rotation = 0;           // clockwise degrees to display upright: 0, 90, 180, 270
  double fps = 0;             // average frame rate
  double duration = 0;        // the video stream's own duration, seconds
  std::int64_t frames = 0;    // frame count when the container states it, else 0
  std::int64_t bitrate = 0;   // bits/s, 0 when unknown
};

struct AudioStream {
  std::string codec;          // "aac", "mp3", "pcm_s16le", ...
  int sample_rate = 0;
  int channels = 0;
  double duration = 0;        // the audio stream's own duration, seconds
  std::int64_t bitrate = 0;
};

struct MediaInfo {
  std::string path;
  MediaKind kind = MediaKind::image;
  std::string format;         // jpeg png webp bmp tiff gif heif ... | mp4 mov mkv webm avi ... | wav mp3 flac ...
  std::uint64_t file_size = 0;
  int width = 0;              // as displayed: after EXIF orientation / display matrix
  int height = 0;
  double duration = 0;        // container duration, seconds (0 for images)
  bool duration_estimated = false;  // FFmpeg only estimated it from the bitrate
  std::int64_t bitrate = 0;   // container bitrate, bits/s
  std::optional<bool> faststart;    // mp4/mov only: moov before mdat
  std::optional<ImageProps> image;
  std::optional<VideoStream> video;  // first video stream
  std::optional<AudioStream> audio;  // first audio stream

  // The duration the API judges: the video stream's for videos, the audio's for audio.
  double media_duration() const noexcept;
  double aspect() const noexcept { return height ? double(width) / height : 0; }
};

// Stable JSON field names (documented in docs/probe.md).
void to_json(nlohmann::json& j, const MediaInfo& info);

}  // namespace seedreel
