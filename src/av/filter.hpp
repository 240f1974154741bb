#pragma once
// A libavfilter chain for one video stream, e.g. "transpose=clock,scale=...,
// fps=24,format=yuv420p": frames in, frames out, with the output time base.
#include <memory>
#include <string>

#include "av/avfilter_api.hpp"
#include "av/ffmpeg.hpp"

namespace seedreel::av {

class VideoFilter {
 public:
  // `source`: the decoder the frames come from; `time_base`: their timestamps'.
  VideoFilter(const AVCodecContext* source, AVRational time_base, const std::string& chain);
  // nullptr signals end of input, at the end of the last frame (its pts plus
  // duration), so rate changes keep the clip's length as ffmpeg does.
  void push(AVFrame* frame);
  // Next filtered frame; false when none is ready (or after the end).
  bool pull(AVFrame& out);
  AVRational time_base() const;
  AVRational frame_rate() const;

 private:
  struct GraphDeleter {
    void operator()(AVFilterGraph* g) const noexcept { avfilter_api().graph_free(&g); }
  };
  const AvfilterApi& api_ = avfilter_api();
  std::unique_ptr<AVFilterGraph, GraphDeleter> graph_;
  AVFilterContext* src_ = nullptr;
  AVFilterContext* sink_ = nullptr;
  AVRational in_tb_{};
  AVRational in_rate_{};
  std::int64_t end_pts_ = AV_NOPTS_VALUE;
};

}  // namespace seedreel::av
