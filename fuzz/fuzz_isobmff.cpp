// The ISO-BMFF top-level box reader, and the sample index stitch copies by
// reference: packets read without their bytes, each referred to its place in
// the file (av/payload_ref), as stitch does for file-to-file copies.
#include <chrono>

#include "av/demux.hpp"
#include "av/ffmpeg.hpp"
#include "av/isobmff.hpp"
#include "av/payload_ref.hpp"
#include "fuzz_support.hpp"
#include "seedreel/error.hpp"

using namespace seedreel;

namespace {

void check_boxes(const av::TopLevelBoxes& t, std::uint64_t size) {
  if (t.boxes.size() > 4096) fuzz::fail("more than 4096 boxes listed");
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < t.boxes.size(); ++i) {
    const auto& b = t.boxes[i];
    if (b.type.size() != 4) fuzz::fail("a box type is not 4 bytes");
    if (b.at != at) fuzz::fail("boxes do not follow each other");
    const bool last = i + 1 == t.boxes.size();
    // Only the last box may be bad or cut off.
    if (!last && (b.size < 8 || b.size > size - b.at)) fuzz::fail("a bad box is not the last listed");
    at += b.size;
  }
  if (t.whole && at != size) fuzz::fail("'whole' but the boxes do not end at the end of the file");
}

void read_index(const fuzz::MemFile& f) {
  av::OpenOptions o;
  o.find_stream_info = false;  // stitch opens clips header-only
  o.own_file = true;
  o.deadline = std::chrono::seconds(10);
  av::Input in(f.path(), o);
  if (!in.skip_payloads()) fuzz::fail("a fresh header-only input refused to skip payloads");
  const int v = in.best_stream(AVMEDIA_TYPE_VIDEO), a = in.best_stream(AVMEDIA_TYPE_AUDIO);
  av::PayloadSources sources({{in.fd(), f.path()}});
  av::PacketPtr p = av::make_packet();
  for (int n = 0; n < 200000; ++n) {
    in.rearm();
    if (av_read_frame(in.get(), p.get()) < 0) break;
    if (p->stream_index == v || p->stream_index == a) {
      const std::int64_t pos = p->pos;
      const int size = p->size;
      try {
        sources.refer(*p, 0);
        if (size > 0) {
          const auto o = sources.origin(p->data, size);
          if (o.lookup != av::PayloadSources::Lookup::reference || o.source != 0 || o.pos != pos)
            fuzz::fail("a referred packet does not map back to its place in the file");
        }
      } catch (const Error&) {
        // a packet without a place in the file: stitch refuses the clip
      }
    }
    av_packet_unref(p.get());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (av::quiet_logging(), true);
  (void)quiet;
  fuzz::MemFile f(data, size);
  const av::TopLevelBoxes t = av::top_level_boxes(f.fd());
  check_boxes(t, size);
  const bool plain = av::unfragmented_isobmff(f.fd());
  if (plain && !t.whole) fuzz::fail("unfragmented but not whole");
  try {
    read_index(f);
  } catch (const Error&) {
    // unreadable or not media: stitch reports it
  }
  return 0;
}
