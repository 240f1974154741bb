#pragma once
// RAII owners for every FFmpeg object, and error checking that turns an
// AVERROR into seedreel::Error. Business code never frees by hand.
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>
#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

#include "pixel/sws.hpp"
#include "seedreel/error.hpp"

namespace seedreel::av {

template <typename T, void (*Fn)(T**)>
struct PtrPtrDeleter {
  void operator()(T* p) const noexcept { Fn(&p); }
};
template <typename T, void (*Fn)(T*)>
struct PtrDeleter {
  void operator()(T* p) const noexcept { Fn(p); }
};

inline void close_input(AVFormatContext** ctx) { avformat_close_input(ctx); }
inline void free_output(AVFormatContext* ctx) {
  // A custom AVIOContext (AVFMT_FLAG_CUSTOM_IO) belongs to whoever made it.
  if (ctx && ctx->pb && !(ctx->oformat->flags & AVFMT_NOFILE) && !(ctx->flags & AVFMT_FLAG_CUSTOM_IO))
    avio_closep(&ctx->pb);
  avformat_free_context(ctx);
}
// An AVIOContext made with avio_alloc_context, with its buffer.
inline void free_avio(AVIOContext** ctx) {
  if (*ctx) av_freep(&(*ctx)->buffer);
  avio_context_free(ctx);
}

using InputPtr = std::unique_ptr<AVFormatContext, PtrPtrDeleter<AVFormatContext, close_input>>;
using OutputPtr = std::unique_ptr<AVFormatContext, PtrDeleter<AVFormatContext, free_output>>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, PtrPtrDeleter<AVCodecContext, avcodec_free_context>>;
using FramePtr = std::unique_ptr<AVFrame, PtrPtrDeleter<AVFrame, av_frame_free>>;
using PacketPtr = std::unique_ptr<AVPacket, PtrPtrDeleter<AVPacket, av_packet_free>>;
using pixel::SwsPtr;
using SwrPtr = std::unique_ptr<SwrContext, PtrPtrDeleter<SwrContext, swr_free>>;
using AvioPtr = std::unique_ptr<AVIOContext, PtrPtrDeleter<AVIOContext, free_avio>>;
using BufferPtr = std::unique_ptr<AVBufferRef, PtrPtrDeleter<AVBufferRef, av_buffer_unref>>;
using DictPtr = std::unique_ptr<AVDictionary*, void (*)(AVDictionary**)>;

FramePtr make_frame();
PacketPtr make_packet();

using pixel::make_sws;

// FFmpeg's message for an AVERROR code.
std::string error_string(int errnum);

// Throws Error(kind, subject, "what: <ffmpeg message>") when ret < 0; returns ret.
int check(int ret, ErrorKind kind, const std::string& subject, const char* what);

// Error-level lines a decoder logged: how FFmpeg tells of concealed
// slices, missing references and damaged bitstreams.
using DamageCounter = std::atomic<std::int64_t>;

// Quiet FFmpeg's own logging (we report errors ourselves), counting each
// decoder's error lines into the DamageCounter its `opaque` points at; idempotent.
void quiet_logging();

}  // namespace seedreel::av
