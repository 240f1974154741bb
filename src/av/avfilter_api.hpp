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

// Each function once: our name for it, and libavfilter's.
#define SEEDREEL_AVFILTER_FUNCTIONS(X)                          \
  X(graph_alloc, avfilter_graph_alloc)                          \
  X(graph_free, avfilter_graph_free)                            \
  X(graph_create_filter, avfilter_graph_create_filter)          \
  X(graph_parse_ptr, avfilter_graph_parse_ptr)                  \
  X(graph_config, avfilter_graph_config)                        \
  X(get_by_name, avfilter_get_by_name)                          \
  X(inout_alloc, avfilter_inout_alloc)                          \
  X(inout_free, avfilter_inout_free)                            \
  X(buffersrc_add_frame_flags, av_buffersrc_add_frame_flags)    \
  X(buffersrc_close, av_buffersrc_close)                        \
  X(buffersink_get_frame, av_buffersink_get_frame)              \
  X(buffersink_get_time_base, av_buffersink_get_time_base)      \
  X(buffersink_get_frame_rate, av_buffersink_get_frame_rate)

struct AvfilterApi {
#define SEEDREEL_AVFILTER_FIELD(ours, theirs) decltype(&::theirs) ours = nullptr;
  SEEDREEL_AVFILTER_FUNCTIONS(SEEDREEL_AVFILTER_FIELD)
#undef SEEDREEL_AVFILTER_FIELD
};

// Loads libavfilter once (thread-safe) and stays loaded; throws
// Error(ErrorKind::io) naming the library when it cannot be loaded.
const AvfilterApi& avfilter_api();

}  // namespace seedreel::av
