#include "av/filter.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace seedreel::av {

namespace {

struct InOutDeleter {
  void operator()(AVFilterInOut* p) const noexcept { avfilter_api().inout_free(&p); }
};
using InOutPtr = std::unique_ptr<AVFilterInOut, InOutDeleter>;

}  // namespace

VideoFilter::VideoFilter(const AVCodecContext* source, AVRational time_base, const std::string& chain) {
  in_tb_ = time_base;
  in_rate_ = source->framerate;
  graph_.reset(api_.graph_alloc());
  if (!graph_) throw std::bad_alloc();
  AVRational sar = source->sample_aspect_ratio.num ? source->sample_aspect_ratio : AVRational{1, 1};
  std::string args = fmt::format("video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}", source->width,
                                 source->height, int(source->pix_fmt), time_base.num, time_base.den, sar.num, sar.den);
  if (source->framerate.num > 0) args += fmt::format(":frame_rate={}/{}", source->framerate.num, source->framerate.den);
  check(api_.graph_create_filter(&src_, api_.get_by_name("buffer"), "in", args.c_str(), nullptr, graph_.get()),
        ErrorKind::input, chain, "cannot create filter source");
  check(api_.graph_create_filter(&sink_, api_.get_by_name("buffersink"), "out", nullptr, nullptr, graph_.get()),
        ErrorKind::input, chain, "cannot create filter sink");
  // The chain's open ends: its input is our source "in", its output our sink "out".
  InOutPtr outputs(api_.inout_alloc());
  InOutPtr inputs(api_.inout_alloc());
  if (!outputs || !inputs) throw std::bad_alloc();
  outputs->name = av_strdup("in");
  outputs->filter_ctx = src_;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = sink_;
  AVFilterInOut* in_raw = inputs.release();
  AVFilterInOut* out_raw = outputs.release();
  int ret = api_.graph_parse_ptr(graph_.get(), chain.empty() ? "null" : chain.c_str(), &in_raw, &out_raw, nullptr);
  inputs.reset(in_raw);
  outputs.reset(out_raw);
  check(ret, ErrorKind::input, chain, "bad filter chain");
  check(api_.graph_config(graph_.get(), nullptr), ErrorKind::input, chain, "cannot configure filters");
}

void VideoFilter::push(AVFrame* frame) {
  if (!frame) {
    if (end_pts_ == AV_NOPTS_VALUE) end_pts_ = 0;
    check(api_.buffersrc_close(src_, end_pts_, AV_BUFFERSRC_FLAG_PUSH), ErrorKind::input, "", "filtering failed");
    return;
  }
  if (frame->pts != AV_NOPTS_VALUE) {
    std::int64_t duration = frame->pkt_duration;
    if (duration <= 0 && in_rate_.num > 0) duration = av_rescale_q(1, av_inv_q(in_rate_), in_tb_);
    end_pts_ = std::max(end_pts_ == AV_NOPTS_VALUE ? 0 : end_pts_, frame->pts + std::max<std::int64_t>(duration, 1));
  }
  check(api_.buffersrc_add_frame_flags(src_, frame, AV_BUFFERSRC_FLAG_KEEP_REF), ErrorKind::input, "", "filtering failed");
}

bool VideoFilter::pull(AVFrame& out) {
  av_frame_unref(&out);
  int ret = api_.buffersink_get_frame(sink_, &out);
  if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return false;
  check(ret, ErrorKind::input, "", "filtering failed");
  return true;
}

AVRational VideoFilter::time_base() const { return api_.buffersink_get_time_base(sink_); }
AVRational VideoFilter::frame_rate() const { return api_.buffersink_get_frame_rate(sink_); }

}  // namespace seedreel::av
