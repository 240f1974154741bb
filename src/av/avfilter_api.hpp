#pragma once
// libavfilter, loaded the first time a filter graph is built. Linking it
// brings ~30 more shared libraries into every process (speech synthesis,
// LAPACK, Vulkan, LV2 hosts: its optional filters' dependencies), which cost
// ~20 ms of start-up to every command; only conform and a re-encoding stitch
// filter video. The functions we call, resolved from the library whose major
// version our headers describe.
#include <cstdint>  // UINT64_C, which FFmpeg's headers need in C++

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
}

namespace seedreel::av {

struct AvfilterApi {
  decltype(&::avfilter_graph_alloc) graph_alloc;
  decltype(&::avfilter_graph_free) graph_free;
  decltype(&::avfilter_graph_create_filter) graph_create_filter;
  decltype(&::avfilter_graph_parse_ptr) graph_parse_ptr;
  decltype(&::avfilter_graph_config) graph_config;
  decltype(&::avfilter_get_by_name) get_by_name;
  decltype(&::avfilter_inout_alloc) inout_alloc;
  decltype(&::avfilter_inout_free) inout_free;
  decltype(&::av_buffersrc_add_frame_flags) buffersrc_add_frame_flags;
  decltype(&::av_buffersrc_close) buffersrc_close;
  decltype(&::av_buffersink_get_frame) buffersink_get_frame;
  decltype(&::av_buffersink_get_time_base) buffersink_get_time_base;
  decltype(&::av_buffersink_get_frame_rate) buffersink_get_frame_rate;
};

// Loads libavfilter once (thread-safe) and stays loaded; throws
// Error(ErrorKind::io) naming the library when it cannot be loaded.
const AvfilterApi& avfilter_api();

}  // namespace seedreel::av
