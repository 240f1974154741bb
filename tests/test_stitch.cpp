// stitch: durations, per-seam sync (measured from packet timestamps and from
// the clips' own tones in the decoded output), strictly monotonic timestamps,
// a clean `ffmpeg -v error` read, chapters at the seams, copy vs re-encode
// decisions with their reasons, duplicate seam frames, chapters carried
// through a second join, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "seedreel/probe.hpp"
#include "seedreel/stitch.hpp"
#include "stitch_oracle.hpp"
#include "support.hpp"

using namespace seedreel;
using seedreel::test::fixture;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace seedreel::test::stitch;

namespace {

std::string fx(const std::string& name) { return fixture("post/" + name); }
std::string clip(int i) {
  char name[32];
  std::snprintf(name, sizeof name, "st_%02d.mp4", i);
  return fx(name);
}
double tone(int i) { return 300.0 + 50.0 * i; }  // the sine each st_NN clip carries (see the fixture script)

struct Packet {
  int stream;
  std::int64_t pts, dts, duration;
};
std::vector<Packet> packets(const std::string& file) {
  auto text = test::ffprobe(file, {"-show_entries", "packet=stream_index,pts,dts,duration", "-of", "csv=p=0"});
  std::vector<Packet> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    Packet p{};
    if (std::sscanf(line.c_str(), "%d,%ld,%ld,%ld", &p.stream, &p.pts, &p.dts, &p.duration) == 4) out.push_back(p);
  }
  return out;
}

std::vector<double> chapter_starts(const std::string& file) {
  auto text = test::ffprobe(file, {"-show_entries", "chapter=start_time", "-of", "csv=p=0"});
  std::vector<double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(std::stod(line));
  return out;
}

std::string bytes_of(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every packet of a file, stream by stream: timestamps, duration, flags,
// size and an MD5 of its bytes (ffprobe -show_data_hash).
std::vector<std::vector<std::string>> packets_by_stream(const std::string& file) {
  auto r = test::run({"ffprobe", "-v", "error", "-show_data_hash", "md5", "-show_entries",
                      "packet=stream_index,pts,dts,duration,flags,size,data_hash", "-of", "json", file});
  REQUIRE(r.status == 0);
  std::vector<std::vector<std::string>> out;
  const json all = json::parse(r.out);
  for (const auto& p : all.at("packets")) {
    const auto stream = p["stream_index"].get<std::size_t>();
    if (out.size() <= stream) out.resize(stream + 1);
    std::string line;
    for (const char* key : {"pts", "dts", "duration", "flags", "size", "data_hash"}) line += p.value(key, json()).dump() + " ";
    out[stream].push_back(line);
  }
  return out;
}

// Stitches `clips` twice, bytes file to file and through memory: each must
// be taken as asked, and both files must hold the same packets (timestamps,
// flags, bytes) and the same stream parameters and chapters; only where the
// packets lie differs (file order, not interleaved by DTS). So the muxer's
// decisions did not depend on the bytes it never saw, and every hole was
// filled with the right ones. Returns the file-to-file result.
StitchResult stitch_both_ways(const std::vector<std::string>& clips, const std::string& dir) {
  StitchOptions memory;
  memory.file_to_file = false;
  const std::string direct = dir + "/direct.mp4", through = dir + "/memory.mp4";
  StitchResult a = stitch(clips, direct);
  StitchResult b = stitch(clips, through, memory);
  CHECK(a.file_to_file);
  CHECK_FALSE(b.file_to_file);
  auto x = packets_by_stream(direct), y = packets_by_stream(through);
  REQUIRE(x.size() == y.size());
  for (std::size_t s = 0; s < x.size(); ++s) {
    CAPTURE(s);
    REQUIRE(x[s].size() == y[s].size());
    CHECK(x[s].size() > 10);
    for (std::size_t i = 0; i < x[s].size(); ++i) CHECK(x[s][i] == y[s][i]);
  }
  const std::vector<std::string> header{"-show_streams", "-show_chapters", "-show_data_hash", "md5", "-of", "json"};
  CHECK(test::ffprobe(direct, header) == test::ffprobe(through, header));
  auto info = probe(direct);
  REQUIRE(info.faststart);
  CHECK(*info.faststart);
  return a;
}

// The output's video packets are the clips' video packets, byte for byte and in order.
void video_bytes_are_the_clips(const std::string& out, const std::vector<std::string>& clips) {
  std::vector<std::string> expected;
  for (const auto& c : clips)
    for (auto& h : packet_hashes(c, "v")) expected.push_back(h);
  auto got = packet_hashes(out, "v");
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(got[i] == expected[i]);
  }
}

}  // namespace

TEST_CASE("ten seams by stream copy: exact duration, audio within a frame, strictly monotonic, in sync at every seam") {
  auto dir = test::temp_dir("stitch-copy");
  std::vector<std::string> clips;
  std::vector<std::string> before;
  for (int i = 0; i <= 10; ++i) {
    clips.push_back(clip(i));
    before.push_back(bytes_of(clip(i)));
  }
  auto out = dir + "/joined.mp4";
  auto j = run_stitch(clips, out);
  CHECK(j["video_copied"] == true);
  CHECK(j["audio_copied"] == true);
  CHECK(j["file_to_file"] == true);
  CHECK(j["reasons"].empty());
  for (int i = 0; i <= 10; ++i) CHECK(bytes_of(clip(i)) == before[std::size_t(i)]);  // inputs untouched

  decodes_silently(out);
  std::vector<double> seams;
  double total = 0;
  for (const auto& c : clips) {
    total += video_seconds(c);
    seams.push_back(total);
  }
  seams.pop_back();
  CHECK(video_seconds(out) == doctest::Approx(total).epsilon(1e-6));
  CHECK(std::abs(audio_seconds(out) - video_seconds(out)) <= 1.0 / 24);
  int frames = 0;
  for (const auto& c : clips) frames += frame_count(c);
  CHECK(frame_count(out) == frames);

  // Timestamps: video decode order strictly increasing; audio frames end to end.
  std::int64_t last_v = INT64_MIN, next_a = INT64_MIN;
  int audio_packets = 0;
  for (const auto& p : packets(out)) {
    if (p.stream == 0) {
      CHECK(p.dts > last_v);
      last_v = p.dts;
    } else if (p.stream == 1) {
      if (next_a != INT64_MIN) CHECK(p.pts == next_a);
      next_a = p.pts + p.duration;
      ++audio_packets;
    }
  }
  CHECK(audio_packets > 0);

  // Per seam, from the reported placement (packet timestamps) and from the
  // decoded audio itself (each clip has its own tone): never more than one
  // video frame off, and no build-up from one seam to the next.
  auto samples = pcm(out);
  REQUIRE(j["seams"].size() == 10);
  for (std::size_t k = 0; k < 10; ++k) {
    CAPTURE(k);
    const auto& s = j["seams"][k];
    CHECK(s["video_start"].get<double>() == doctest::Approx(seams[k]).epsilon(1e-6));
    CHECK(std::abs(s["audio_offset"].get<double>()) <= 512.0 / 48000 + 1e-9);  // half an AAC frame
    double heard = tone_switch(samples, seams[k], tone(int(k)), tone(int(k) + 1));
    CAPTURE(heard);
    CHECK(std::abs(heard - seams[k]) <= 1.0 / 24);
  }
  // One chapter per clip, starting at each seam; +faststart.
  auto chapters = chapter_starts(out);
  REQUIRE(chapters.size() == 11);
  for (std::size_t k = 0; k < 10; ++k) CHECK(chapters[k + 1] == doctest::Approx(seams[k]).epsilon(1e-3));
  auto info = probe(out);
  REQUIRE(info.faststart);
  CHECK(*info.faststart);
}

TEST_CASE("copied bytes go file to file: the same packets as through memory, each one the clips' own bytes") {
  auto dir = test::temp_dir("stitch-file-to-file");
  std::vector<std::string> clips;  // 11 different files
  for (int i = 0; i <= 10; ++i) clips.push_back(clip(i));
  StitchResult r = stitch_both_ways(clips, dir);
  CHECK(r.video_copied);
  CHECK(r.audio_copied);
  const std::string out = dir + "/direct.mp4";
  decodes_silently(out);
  video_bytes_are_the_clips(out, clips);
  // Audio: each clip's frames (priming and an overshooting last frame left
  // out) in clip order, so every output packet is one of the clips' own.
  std::vector<std::string> audio;
  for (const auto& c : clips)
    for (auto& h : packet_hashes(c, "a")) audio.push_back(h);
  auto got = packet_hashes(out, "a");
  REQUIRE(got.size() > 100);
  std::size_t at = 0;
  for (const auto& h : got) {
    while (at < audio.size() && audio[at] != h) ++at;
    CHECK(at < audio.size());
  }
}

TEST_CASE("file to file with a clip without audio: the silence made in memory lands in the gap") {
  auto dir = test::temp_dir("stitch-file-to-file-silence");
  const std::vector<std::string> clips{clip(0), fx("st_noaudio.mp4"), clip(1)};
  StitchResult r = stitch_both_ways(clips, dir);
  CHECK(r.audio_copied);
  const std::string out = dir + "/direct.mp4";
  decodes_silently(out);
  video_bytes_are_the_clips(out, clips);
  // The packets that are none of the clips' are the silent frame, repeated
  // to cover the silent clip (1.5 s of 1024-sample frames at 48 kHz).
  std::vector<std::string> theirs;
  for (const auto& c : {clip(0), clip(1)})
    for (auto& h : packet_hashes(c, "a")) theirs.push_back(h);
  std::vector<std::string> made;
  for (auto& h : packet_hashes(out, "a"))
    if (std::find(theirs.begin(), theirs.end(), h) == theirs.end()) made.push_back(h);
  CHECK(std::abs(double(made.size()) - 1.5 * 48000 / 1024) <= 1.0);
  for (const auto& h : made) CHECK(h == made[0]);
  auto s = pcm(out);
  const double a = video_seconds(clip(0)), b = a + video_seconds(fx("st_noaudio.mp4"));
  double quiet = 0;
  for (std::size_t i = std::size_t((a + 0.05) * 48000); i < std::size_t((b - 0.05) * 48000); ++i) quiet = std::max(quiet, double(std::abs(s[i])));
  CHECK(quiet < 0.001);
  CHECK(tone_switch(s, a, tone(0), 0) == doctest::Approx(a).epsilon(0.03));
}

TEST_CASE("file to file with HEVC clips") {
  auto dir = test::temp_dir("stitch-file-to-file-hevc");
  std::vector<std::string> clips;
  for (int i = 0; i < 2; ++i) {
    clips.push_back(dir + "/hevc" + std::to_string(i) + ".mp4");
    auto r = test::run({"ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=24:duration=1.25",
                        "-f", "lavfi", "-i", "sine=f=" + std::to_string(400 + 200 * i) + ":sample_rate=48000:duration=1.25",
                        "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p",
                        "-c:a", "aac", clips.back()});
    REQUIRE(r.status == 0);
  }
  REQUIRE(test::ffprobe(clips[0], {"-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0"}) == "hevc");
  StitchResult r = stitch_both_ways(clips, dir);
  CHECK(r.video_copied);
  decodes_silently(dir + "/direct.mp4");
  video_bytes_are_the_clips(dir + "/direct.mp4", clips);
  CHECK(frame_count(dir + "/direct.mp4") == frame_count(clips[0]) + frame_count(clips[1]));
}

TEST_CASE("a fragmented mp4 among the clips: copied through memory instead, same result") {
  auto dir = test::temp_dir("stitch-fragmented");
  const std::string frag = dir + "/fragmented.mp4";
  auto made = test::run({"ffmpeg", "-nostdin", "-v", "error", "-y", "-i", clip(1), "-c", "copy", "-movflags",
                         "frag_keyframe+empty_moov+default_base_moof", frag});
  REQUIRE(made.status == 0);
  REQUIRE(bytes_of(frag).find("moof") != std::string::npos);
  const std::vector<std::string> clips{clip(0), frag, clip(2)};
  auto j = run_stitch(clips, dir + "/out.mp4");
  CHECK(j["file_to_file"] == false);
  CHECK(j["video_copied"] == true);
  CHECK(j["audio_copied"] == true);
  const std::string out = dir + "/out.mp4";
  decodes_silently(out);
  video_bytes_are_the_clips(out, clips);
  CHECK(video_seconds(out) == doctest::Approx(video_seconds(clip(0)) + video_seconds(clip(1)) + video_seconds(clip(2))).epsilon(1e-6));
  CHECK(std::abs(audio_seconds(out) - video_seconds(out)) <= 1.0 / 24);
  // Without it, the same clips go file to file.
  auto k = run_stitch({clip(0), clip(1), clip(2)}, dir + "/plain.mp4");
  CHECK(k["file_to_file"] == true);
}

TEST_CASE("a clip without audio gets silence of its length; differing audio is resampled") {
  auto dir = test::temp_dir("stitch-audio");
  auto out = dir + "/silent-middle.mp4";
  auto j = run_stitch({clip(0), fx("st_noaudio.mp4"), clip(1)}, out);
  CHECK(j["video_copied"] == true);
  decodes_silently(out);
  CHECK(std::abs(audio_seconds(out) - video_seconds(out)) <= 1.0 / 24);
  auto s = pcm(out);
  const double a = video_seconds(clip(0)), b = a + video_seconds(fx("st_noaudio.mp4"));
  double loud = 0, quiet = 0;
  for (std::size_t i = std::size_t((a + 0.05) * 48000); i < std::size_t((b - 0.05) * 48000); ++i) quiet = std::max(quiet, double(std::abs(s[i])));
  for (std::size_t i = std::size_t(0.1 * 48000); i < std::size_t((a - 0.1) * 48000); ++i) loud = std::max(loud, double(std::abs(s[i])));
  CHECK(quiet < 0.001);
  CHECK(loud > 0.05);
  CHECK(tone_switch(s, b, 0, tone(1)) == doctest::Approx(b).epsilon(0.03));

  auto out2 = dir + "/resampled.mp4";
  auto k = run_stitch({clip(0), fx("st_44k_mono.mp4"), clip(1)}, out2);
  CHECK(k["video_copied"] == true);
  CHECK(k["audio_copied"] == false);
  CHECK(k["reasons"].dump().find("44100 Hz") != std::string::npos);
  decodes_silently(out2);
  CHECK(test::ffprobe(out2, {"-select_streams", "a:0", "-show_entries", "stream=sample_rate", "-of", "csv=p=0"}) == "48000");
  CHECK(std::abs(audio_seconds(out2) - video_seconds(out2)) <= 1.0 / 24);
  auto s2 = pcm(out2);
  double seam1 = video_seconds(clip(0)), seam2 = seam1 + video_seconds(fx("st_44k_mono.mp4"));
  CHECK(std::abs(tone_switch(s2, seam1, tone(0), 880) - seam1) <= 1.0 / 24);
  CHECK(std::abs(tone_switch(s2, seam2, 880, tone(1)) - seam2) <= 1.0 / 24);
}

TEST_CASE("a clip of another size and rate: the video is re-encoded to the first clip's, and the tool says why") {
  auto dir = test::temp_dir("stitch-reencode");
  auto out = dir + "/mixed.mp4";
  auto j = run_stitch({clip(0), fx("st_640x360_30fps.mp4"), clip(1)}, out);
  CHECK(j["video_copied"] == false);
  auto why = j["reasons"].dump();
  CHECK(why.find("size 640x360") != std::string::npos);
  CHECK(why.find("30 fps") != std::string::npos);
  decodes_silently(out);
  CHECK(test::ffprobe(out, {"-select_streams", "v:0", "-show_entries", "stream=width,height,avg_frame_rate", "-of",
                            "csv=p=0"}) == "320,240,24/1");
  const double total = video_seconds(clip(0)) + video_seconds(fx("st_640x360_30fps.mp4")) + video_seconds(clip(1));
  CHECK(std::abs(video_seconds(out) - total) <= 1.0 / 24);
  CHECK(std::abs(audio_seconds(out) - video_seconds(out)) <= 1.0 / 24);

  // --reencode never refuses instead (status 1, no output); always re-encodes matching clips too.
  auto r = test::run({test::program("seedreel"), "stitch", clip(0), fx("st_640x360_30fps.mp4"), "-o", dir + "/never.mp4",
                      "--reencode", "never"});
  CHECK(r.status == 1);
  CHECK(r.err.find("size 640x360") != std::string::npos);
  CHECK_FALSE(fs::exists(dir + "/never.mp4"));
  auto a = run_stitch({clip(0), clip(1)}, dir + "/always.mp4", {"--reencode", "always"});
  CHECK(a["video_copied"] == false);
  CHECK(a["audio_copied"] == false);
  decodes_silently(dir + "/always.mp4");
  CHECK(frame_count(dir + "/always.mp4") == frame_count(clip(0)) + frame_count(clip(1)));
}

TEST_CASE("--drop-duplicate-seam-frames drops a chained clip's repeated first frame, and only that") {
  auto dir = test::temp_dir("stitch-dupe");
  const int a = frame_count(clip(0)), b = frame_count(fx("st_chained.mp4"));
  auto kept = run_stitch({clip(0), fx("st_chained.mp4")}, dir + "/kept.mp4");
  CHECK(kept["video_copied"] == true);
  CHECK(frame_count(dir + "/kept.mp4") == a + b);

  auto dropped = run_stitch({clip(0), fx("st_chained.mp4")}, dir + "/dropped.mp4", {"--drop-duplicate-seam-frames"});
  CHECK(dropped["seams"][0]["dropped_duplicate"] == true);
  CHECK(dropped["seams"][0]["psnr_db"].get<double>() > 32);
  CHECK(frame_count(dir + "/dropped.mp4") == a + b - 1);
  decodes_silently(dir + "/dropped.mp4");
  CHECK(std::abs(audio_seconds(dir + "/dropped.mp4") - video_seconds(dir + "/dropped.mp4")) <= 1.0 / 24);

  // Clips that do not repeat a frame keep every frame, and stay a stream copy.
  auto none = run_stitch({clip(0), clip(1)}, dir + "/none.mp4", {"--drop-duplicate-seam-frames"});
  CHECK(none["seams"][0]["dropped_duplicate"] == false);
  CHECK(none["video_copied"] == true);
  CHECK(frame_count(dir + "/none.mp4") == a + frame_count(clip(1)));
}

TEST_CASE("a clip that is itself a stitch brings its chapters: every seam stays marked after another join") {
  auto dir = test::temp_dir("stitch-chapters");
  run_stitch({clip(0), clip(1)}, dir + "/ab.mp4");
  run_stitch({dir + "/ab.mp4", clip(2)}, dir + "/abc.mp4");
  const double a = video_seconds(clip(0)), b = video_seconds(clip(1));
  auto chapters = chapter_starts(dir + "/abc.mp4");
  REQUIRE(chapters.size() == 3);
  CHECK(chapters[0] == doctest::Approx(0));
  CHECK(chapters[1] == doctest::Approx(a).epsilon(1e-3));
  CHECK(chapters[2] == doctest::Approx(a + b).epsilon(1e-3));
  auto titles = test::ffprobe(dir + "/abc.mp4", {"-show_entries", "chapter_tags=title", "-of", "csv=p=0"});
  CHECK(titles == "st_00.mp4\nst_01.mp4\nst_02.mp4");
}

TEST_CASE("one clip is a faststart remux of itself") {
  auto dir = test::temp_dir("stitch-one");
  auto j = run_stitch({clip(2)}, dir + "/one.mp4");
  CHECK(j["video_copied"] == true);
  CHECK(j["seams"].empty());
  CHECK(frame_count(dir + "/one.mp4") == frame_count(clip(2)));
  CHECK(video_seconds(dir + "/one.mp4") == doctest::Approx(video_seconds(clip(2))));
  decodes_silently(dir + "/one.mp4");
}

TEST_CASE("bad input: clear error, documented status, no output") {
  auto dir = test::temp_dir("stitch-bad");
  auto out = dir + "/out.mp4";
  struct Case {
    std::vector<std::string> clips;
    int status;
  };
  std::vector<Case> cases{
      {{clip(0), fx("bad_text.mp4")}, 3},      {{clip(0), fx("bad_audio_only.m4a")}, 3},
      {{fx("bad_truncated.mp4"), clip(0)}, 3}, {{clip(0), fx("bad_empty.mp4")}, 3},
      {{clip(0), dir + "/missing.mp4"}, 3},    {{}, 2},
      {{clip(0), fx("bad_truncated_faststart.mp4")}, 3},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{test::program("seedreel"), "stitch"};
    argv.insert(argv.end(), c.clips.begin(), c.clips.end());
    argv.insert(argv.end(), {"-o", out});
    auto r = test::run(argv);
    CAPTURE(r.err);
    CHECK(r.status == c.status);
    CHECK_FALSE(fs::exists(out));
  }
  auto r = test::run({test::program("seedreel"), "stitch", clip(0), fx("bad_audio_only.m4a"), "-o", out});
  CHECK(r.err.find("no video stream") != std::string::npos);
  r = test::run({test::program("seedreel"), "stitch", clip(0), fx("bad_truncated_faststart.mp4"), "-o", out});
  CHECK(r.err.find("truncated") != std::string::npos);
  // The output may not replace an input; an unknown container is refused.
  auto copy = dir + "/a.mp4";
  fs::copy_file(clip(0), copy);
  CHECK(test::run({test::program("seedreel"), "stitch", copy, clip(1), "-o", copy}).status == 2);
  CHECK(bytes_of(copy) == bytes_of(clip(0)));
  CHECK(test::run({test::program("seedreel"), "stitch", clip(0), clip(1), "-o", dir + "/x.avi"}).status == 2);
  CHECK(test::run({test::program("seedreel"), "stitch", clip(0), clip(1), "-o", out, "--reencode", "sometimes"}).status == 2);
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
}

TEST_CASE("Ctrl-C during a stitch: status 130 and nothing left in the output folder") {
  auto dir = test::temp_dir("stitch-interrupt");
  std::vector<std::string> argv{test::program("seedreel"), "stitch"};
  for (int i = 0; i <= 10; ++i) argv.push_back(clip(i));
  argv.insert(argv.end(), {"-o", dir + "/out.mp4", "--reencode", "always"});
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(args[0], args.data());
    _exit(127);
  }
  // Late enough that the program is past start-up and writing.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 0) {
    // Finished before the signal arrived: then the output must be whole.
    CHECK(fs::exists(dir + "/out.mp4"));
  } else {
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(fs::is_empty(dir));
  }
}
