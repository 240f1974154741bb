// The shared media core: write real video and audio with our encoder and
// muxer, read them back with our decoder and with ffprobe as the oracle;
// atomic outputs; byte ranges copied between files; base64.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "av/decode.hpp"
#include "av/encode.hpp"
#include "av/filter.hpp"
#include "av/mux.hpp"
#include "av/payload_ref.hpp"
#include "av/picture.hpp"
#include "image/vips.hpp"
#include "support.hpp"
#include "util/atomic_file.hpp"
#include "util/base64.hpp"
#include "util/copy_range.hpp"
#include "util/unique_fd.hpp"

using namespace seedreel;
namespace fs = std::filesystem;

namespace {

// A gradient whose colour depends on `i`, so frames differ.
vips::VImage pattern(int w, int h, int i) {
  vips::VImage x = vips::VImage::xyz(w, h);
  vips::VImage r = (x[0] * 255.0 / w);
  vips::VImage g = (x[1] * 255.0 / h);
  vips::VImage b = vips::VImage::black(w, h) + double((i * 7) % 256);
  return r.bandjoin(g).bandjoin(b).cast(VIPS_FORMAT_UCHAR);
}

// Writes `seconds` of 24 fps video (and 48 kHz stereo tone when `audio`) to path.
void write_clip(const std::string& path, int w, int h, double seconds, bool audio) {
  image::init_vips();
  AtomicFile out(path);
  av::Muxer mux(out.temp_path());
  av::VideoSettings vs;
  vs.width = w;
  vs.height = h;
  vs.preset = "ultrafast";
  auto venc = av::Encoder::video(vs, mux.needs_global_header());
  int vi = mux.add_stream(venc.get());
  std::optional<av::Encoder> aenc;
  int ai = -1;
  if (audio) {
    aenc.emplace(av::Encoder::audio({}, mux.needs_global_header()));
    ai = mux.add_stream(aenc->get());
  }
  mux.begin();
  auto vsink = [&](AVPacket& p) { mux.write(p, vi, venc->time_base); };
  int frames = int(seconds * 24 + 0.5);
  for (int i = 0; i < frames; ++i) {
    av::FramePtr f = av::to_frame(pattern(w, h, i), AV_PIX_FMT_YUV420P);
    f->pts = i;
    venc.encode(f.get(), vsink);
  }
  venc.encode(nullptr, vsink);
  if (aenc) {
    // A 440 Hz tone made as s16 mono at 44.1 kHz: the converter must resample and upmix.
    av::AudioConverter conv(aenc->get());
    av::FramePtr in = av::make_frame();
    in->format = AV_SAMPLE_FMT_S16;
    in->sample_rate = 44100;
    av_channel_layout_default(&in->ch_layout, 1);
    in->nb_samples = 44100;
    REQUIRE(av_frame_get_buffer(in.get(), 0) == 0);
    auto* s = reinterpret_cast<int16_t*>(in->data[0]);
    std::int64_t total = std::int64_t(seconds * 44100);
    auto asink = [&](AVPacket& p) { mux.write(p, ai, (*aenc)->time_base); };
    av::FramePtr o = av::make_frame();
    for (std::int64_t done = 0; done < total; done += in->nb_samples) {
      int n = int(std::min<std::int64_t>(44100, total - done));
      in->nb_samples = n;
      for (int k = 0; k < n; ++k) s[k] = int16_t(8000 * std::sin(2 * M_PI * 440 * double(done + k) / 44100));
      conv.push(*in);
      while (conv.pop(*o)) aenc->encode(o.get(), asink);
    }
    conv.flush();
    while (conv.pop(*o, true)) aenc->encode(o.get(), asink);
    aenc->encode(nullptr, asink);
  }
  mux.end();
  out.commit();
}

}  // namespace

TEST_CASE("encoder + muxer write an mp4 that ffprobe reads as written") {
  auto dir = test::temp_dir("core");
  auto path = dir + "/clip.mp4";
  write_clip(path, 640, 360, 2.0, true);
  CHECK(test::ffprobe(path, {"-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height,r_frame_rate,pix_fmt,color_space",
                             "-of", "csv=p=0"}) == "h264,640,360,yuv420p,bt709,24/1");
  CHECK(test::ffprobe(path, {"-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0"}) == "48");
  CHECK(test::ffprobe(path, {"-select_streams", "a:0", "-show_entries", "stream=codec_name,sample_rate,channels", "-of", "csv=p=0"}) ==
        "aac,48000,2");
  double adur = std::stod(test::ffprobe(path, {"-select_streams", "a:0", "-show_entries", "stream=duration", "-of", "csv=p=0"}));
  CHECK(adur == doctest::Approx(2.0).epsilon(0.03));
  // +faststart: the moov box comes before mdat.
  std::ifstream f(path, std::ios::binary);
  std::string head(4096, '\0');
  f.read(head.data(), head.size());
  CHECK(head.find("moov") < head.find("mdat"));
  // Decodes cleanly.
  auto r = test::run({"ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
}

TEST_CASE("decoder returns every frame, drained, in order; picture round-trips") {
  auto dir = test::temp_dir("core");
  auto path = dir + "/clip.mp4";
  write_clip(path, 320, 240, 1.0, false);
  av::Input in(path);
  av::Decoder dec(in, in.best_stream(AVMEDIA_TYPE_VIDEO));
  std::int64_t last = -1;
  bool ordered = true;
  std::optional<vips::VImage> first;
  auto n = av::decode_frames(in, dec, [&](AVFrame& f) {
    if (f.pts <= last) ordered = false;
    last = f.pts;
    if (!first) first = av::to_image(f).copy_memory();
    return true;
  });
  CHECK(n == 24);
  CHECK(ordered);
  REQUIRE(first);
  CHECK(first->width() == 320);
  CHECK(first->bands() == 3);
  // Lossy encode + 4:2:0 round trip: close to the source, not exact.
  double diff = (first->cast(VIPS_FORMAT_FLOAT) - pattern(320, 240, 0).cast(VIPS_FORMAT_FLOAT)).abs().avg();
  CHECK(diff < 3.0);
  // Rotation turns the picture.
  av::Input in2(path);
  av::Decoder dec2(in2, 0);
  av::decode_frames(in2, dec2, [&](AVFrame& f) {
    auto img = av::to_image(f, 90);
    CHECK(img.width() == 240);
    CHECK(img.height() == 320);
    return false;  // stop early
  });
}

TEST_CASE("video filter chain scales and transposes") {
  auto dir = test::temp_dir("core");
  auto path = dir + "/clip.mp4";
  write_clip(path, 320, 240, 0.5, false);
  av::Input in(path);
  av::Decoder dec(in, 0);
  av::VideoFilter filter(dec.get(), in->streams[0]->time_base, "transpose=clock,scale=120:160,fps=30,format=yuv420p");
  av::FramePtr out = av::make_frame();
  int got = 0;
  av::decode_frames(in, dec, [&](AVFrame& f) {
    filter.push(&f);
    while (filter.pull(*out)) {
      CHECK(out->width == 120);
      CHECK(out->height == 160);
      ++got;
    }
    return true;
  });
  filter.push(nullptr);
  while (filter.pull(*out)) ++got;
  CHECK(filter.frame_rate().num == 30);
  CHECK(got == 15);  // 0.5 s at 30 fps
}

TEST_CASE("decoder refuses a stream it cannot decode, naming the file") {
  av::Input in(test::fixture("aud_5s.wav"));
  CHECK_THROWS_AS(av::Decoder(in, 7), Error);
}

TEST_CASE("atomic file: renamed on commit, removed otherwise, refuses to clobber") {
  auto dir = test::temp_dir("atomic");
  auto target = dir + "/out.png";
  std::string temp;
  {
    AtomicFile f(target);
    temp = f.temp_path();
    CHECK(fs::path(temp).extension() == ".png");
    CHECK(fs::path(temp).parent_path() == fs::path(dir));
    CHECK(fs::exists(temp));
    std::ofstream(temp) << "half";
  }
  CHECK(!fs::exists(temp));
  CHECK(!fs::exists(target));
  {
    AtomicFile f(target);
    std::ofstream(f.temp_path()) << "whole";
    f.commit();
  }
  CHECK(fs::file_size(target) == 5);
  CHECK_THROWS_AS(AtomicFile(target, AtomicFile::Existing::refuse), Error);
  {
    AtomicFile f(target, AtomicFile::Existing::overwrite);
    std::ofstream(f.temp_path()) << "new!!!";
    f.commit();
  }
  CHECK(fs::file_size(target) == 6);
  // Nothing but the target is left in the folder.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  // An unwritable or missing folder fails before any work, as an io error.
  try {
    AtomicFile f(dir + "/no/such/folder/out.mp4");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::io);
    CHECK(e.subject().find("out.mp4") != std::string::npos);
  }
}

namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Copies three ranges of `src` into `dst` at other offsets (a gap between
// them, the last one past the end) and checks every byte of the result.
void copies_ranges(RangeCopier& copier, const std::string& src, const std::string& dst) {
  std::string bytes;
  for (int i = 0; i < 3'000'000; ++i) bytes.push_back(char((i * 131) ^ (i >> 9)));
  std::ofstream(src, std::ios::binary) << bytes;
  UniqueFd in(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd out(::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  REQUIRE(in);
  REQUIRE(out);
  REQUIRE(::pwrite(out.get(), "head", 4, 0) == 4);
  copier.copy(in.get(), 1'000'000, out.get(), 4, 1'500'000, src, dst);
  copier.copy(in.get(), 0, out.get(), 1'600'000, 10, src, dst);
  copier.copy(in.get(), 2'000'000, out.get(), 2'000'000, 1'000'000, src, dst);
  const std::string got = read_all(dst);
  REQUIRE(got.size() == 3'000'000);
  CHECK(got.substr(0, 4) == "head");
  CHECK(got.substr(4, 1'500'000) == bytes.substr(1'000'000, 1'500'000));
  CHECK(got.substr(1'500'004, 99'996) == std::string(99'996, '\0'));  // the gap reads as zeros
  CHECK(got.substr(1'600'000, 10) == bytes.substr(0, 10));
  CHECK(got.substr(2'000'000) == bytes.substr(2'000'000));
  // A range the source does not have is an input error, not a short copy.
  try {
    copier.copy(in.get(), 2'999'990, out.get(), 0, 100, src, dst);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.subject() == src);
  }
}

}  // namespace

TEST_CASE("byte ranges copied between files: in the kernel, and through memory across filesystems") {
  auto dir = test::temp_dir("copy-range");
  RangeCopier same;
  copies_ranges(same, dir + "/a.bin", dir + "/b.bin");
  CHECK(same.in_kernel());  // one filesystem: copy_file_range did it all
  // tmpfs is another filesystem: the kernel refuses (EXDEV) and the copier
  // goes on with pread/pwrite. Skipped where /dev/shm is not mounted.
  struct stat here {}, shm {};
  if (::stat("/dev/shm", &shm) == 0 && ::stat(dir.c_str(), &here) == 0 && shm.st_dev != here.st_dev) {
    const std::string there = "/dev/shm/seedreel-copy-range-" + std::to_string(::getpid());
    RangeCopier across;
    copies_ranges(across, dir + "/c.bin", there);
    CHECK_FALSE(across.in_kernel());
    fs::remove(there);
  } else {
    MESSAGE("no second filesystem at /dev/shm: the through-memory copy is not exercised");
  }
}

TEST_CASE("payload sources notice a file written to while its bytes are copied") {
  auto dir = test::temp_dir("payload-sources");
  const std::string a = dir + "/a.bin", b = dir + "/b.bin";
  std::ofstream(a, std::ios::binary) << std::string(4096, 'a');
  std::ofstream(b, std::ios::binary) << std::string(4096, 'b');
  UniqueFd fa(::open(a.c_str(), O_RDONLY | O_CLOEXEC)), fb(::open(b.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(fa);
  REQUIRE(fb);
  av::PayloadSources sources({{fa.get(), a}, {fb.get(), b}});
  CHECK_NOTHROW(sources.check_unchanged());
  // Appended to (a download still running): the second file is named.
  std::ofstream(b, std::ios::binary | std::ios::app) << "more";
  try {
    sources.check_unchanged();
    FAIL("an appended file went unnoticed");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::input);
    CHECK(std::string(e.what()).find("b.bin") != std::string::npos);
  }
  // Rewritten in place, same size: noticed by its times.
  av::PayloadSources again({{fa.get(), a}});
  {
    std::fstream f(a, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(100);
    f << 'X';
  }
  // The kernel's clock is coarse: the write may keep the modification time
  // it found, so move it on by a second, as a later write would.
  struct stat st {};
  REQUIRE(::stat(a.c_str(), &st) == 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {st.st_mtim.tv_sec + 1, st.st_mtim.tv_nsec}};
  REQUIRE(::utimensat(AT_FDCWD, a.c_str(), times, 0) == 0);
  CHECK_THROWS_AS(again.check_unchanged(), Error);
}

TEST_CASE("base64 round trip and rejection") {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(char(i * 37));
  auto text = base64_encode(bytes);
  CHECK(text.size() == 1336);
  CHECK(base64_decode(text) == bytes);
  CHECK(base64_encode("hi") == "aGk=");
  CHECK(base64_decode("aGk=") == std::string("hi"));
  CHECK(!base64_decode("aGk"));
  CHECK(!base64_decode("a*k="));
  CHECK(base64_decode("") == std::string());
}
