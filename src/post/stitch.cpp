// stitch: join clips into one +faststart mp4. Tracks are copied when every
// clip's parameters allow it; a clip whose video differs is re-encoded alone
// into the copied track (post/inband_h264), or, where a track cannot mix
// copied and re-encoded clips, the whole track is re-encoded. Each clip gets
// a chapter so the seams can be found again (the contact sheet marks them).
// Frames a clip repeats from the end of the one before (post/overlap) are
// dropped from its head, which re-encodes that clip.
// When every track is copied from plain mp4/mov clips, the packets' bytes go
// file to file in the kernel while libavformat writes everything else.
#include "seedreel/stitch.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>

extern "C" {
#include <libavutil/opt.h>
}

#include <fmt/format.h>

#include "av/isobmff.hpp"
#include "av/payload_ref.hpp"
#include "av/picture.hpp"
#include "post/grab.hpp"
#include "post/inband_h264.hpp"
#include "post/overlap.hpp"
#include "post/stitch_chapters.hpp"
#include "post/stitch_match.hpp"
#include "post/stitch_tracks.hpp"
#include "util/atomic_file.hpp"
#include "util/interrupt.hpp"
#include "util/kill_point.hpp"

namespace seedreel {

namespace {

using post::Clip;

// An mp4/mov header states every stream parameter except the few only the
// bitstream tells (pixel format, profile, level; AAC profile and frame size),
// which avformat_find_stream_info learns by decoding frames. A clip whose
// video and audio decoder configurations (SPS/PPS, AudioSpecificConfig) are
// byte-identical to the first clip's has those same values, so it is not
// probed: with 10 clips that is most of the time spent opening them.
bool shares_bitstream_config(const av::Input& in, const Clip& first) {
  if (std::string(in->iformat->name).find("mp4") == std::string::npos) return false;
  const int v = in.best_stream(AVMEDIA_TYPE_VIDEO), a = in.best_stream(AVMEDIA_TYPE_AUDIO);
  auto same = [](const AVStream* x, const AVStream* ref) {
    const AVCodecParameters* p = x->codecpar;
    const AVCodecParameters* r = ref->codecpar;
    // A fragmented file's header leaves the start time (and the video's
    // frame rate) to the probe, which reads them from the first fragments.
    const bool stated = x->start_time != AV_NOPTS_VALUE &&
                        (p->codec_type != AVMEDIA_TYPE_VIDEO || (x->r_frame_rate.num > 0 && x->r_frame_rate.den > 0));
    return stated && p->codec_id == r->codec_id && p->width == r->width && p->height == r->height &&
           p->sample_rate == r->sample_rate && p->ch_layout.nb_channels == r->ch_layout.nb_channels &&
           p->extradata_size > 0 && post::same_bytes(p, r);
  };
  if (v < 0 || !same(in->streams[v], first.video)) return false;
  // Clip 0's audio is nullptr when it has none (or an unusable one).
  if ((a >= 0) != (first.audio != nullptr)) return false;
  return a < 0 || same(in->streams[a], first.audio);
}

void inherit_bitstream_fields(av::Input& in, int v, int a, const Clip& first) {
  auto copy = [](AVCodecParameters* p, const AVCodecParameters* r) {
    p->format = r->format;
    p->profile = r->profile;
    p->level = r->level;
    p->field_order = r->field_order;
    p->frame_size = r->frame_size;
  };
  copy(in->streams[v]->codecpar, first.video->codecpar);
  if (a >= 0) copy(in->streams[a]->codecpar, first.audio->codecpar);
}

// An upper bound of the moov box for a copied video track: per sample at most
// 33 bytes of tables (stsz 4, stts 8, ctts 8, stss 4, stco 8, sdtp 1), plus
// headers, edit lists and chapters. Audio samples: the sources' index, or
// 1024-sample AAC frames of the span. 0 when a count is unknown (then the
// muxer's +faststart second pass moves the moov instead).
std::int64_t moov_upper_bound(const std::vector<Clip>& clips, const std::vector<double>& durations, int chapters) {
  int rate = 48000;
  for (const auto& c : clips)
    if (c.audio) rate = std::max(rate, c.audio->codecpar->sample_rate);
  std::int64_t samples = 0;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const int v = avformat_index_get_entries_count(clips[i].video);
    if (v <= 0) return 0;
    const int a = clips[i].audio ? avformat_index_get_entries_count(clips[i].audio) : 0;
    samples += v + 2 + std::max<std::int64_t>(a, std::int64_t(durations[i] * rate / 1024)) + 4;
  }
  return 36 * samples + 65536 + 512 * std::int64_t(chapters);
}

// Streams other than the clip's video and audio are not read.
void select_streams(Clip& c, int v, int a) {
  for (unsigned i = 0; i < (*c.in)->nb_streams; ++i)
    if (int(i) != v && int(i) != a) (*c.in)->streams[i]->discard = AVDISCARD_ALL;
}

// The first `n` bytes of a stream's first sample, read from the file (fewer when it has none).
std::string first_bytes(const Clip& c, const AVStream* st, std::size_t n) {
  std::string head(n, '\0');
  const AVIndexEntry* e = avformat_index_get_entry(const_cast<AVStream*>(st), 0);
  ssize_t got = e && e->pos >= 0 ? ::pread(c.in->fd(), head.data(), n, e->pos) : 0;
  head.resize(std::size_t(std::max<ssize_t>(got, 0)));
  return head;
}

// Whether the copied packets' bytes can go file to file: every clip an
// unfragmented mp4/mov we read ourselves (so each packet's bytes lie at its
// index position), with codecs the mov muxer writes byte for byte without
// looking: H.264/HEVC with avcC/hvcC configuration (not Annex B, which it
// would rewrite), AAC without ADTS headers (which would make it insert a
// bitstream filter).
bool bytes_can_stay_in_files(const std::vector<Clip>& clips) {
  for (const auto& c : clips) {
    if (c.in->fd() < 0 || std::string(c.in->get()->iformat->name).find("mp4") == std::string::npos ||
        !av::unfragmented_isobmff(c.in->fd()))
      return false;
    const AVCodecParameters* v = c.video->codecpar;
    if ((v->codec_id != AV_CODEC_ID_H264 && v->codec_id != AV_CODEC_ID_HEVC) || v->extradata_size < 1 ||
        v->extradata[0] != 1)
      return false;
    if (c.audio) {
      if (c.audio->codecpar->codec_id != AV_CODEC_ID_AAC) return false;
      const std::string head = first_bytes(c, c.audio, 2);
      if (head.size() == 2 && (std::uint8_t(head[0]) == 0xff && (std::uint8_t(head[1]) & 0xf0) == 0xf0)) return false;
    }
  }
  return true;
}

// Switches a clip's demuxer to packets without their bytes. One that
// avformat_find_stream_info has read ahead in (with parsers) is read from a
// second demuxer of the same file instead.
void read_without_payloads(Clip& c) {
  if (c.in->skip_payloads()) return;
  const int v = c.video->index, a = c.audio ? c.audio->index : -1;
  c.in = c.in->reopen();
  c.video = (*c.in)->streams[v];
  if (a >= 0) c.audio = (*c.in)->streams[a];
  select_streams(c, v, a);
  if (!c.in->skip_payloads()) throw Error(ErrorKind::input, c.path, "cannot read without payloads");
}

}  // namespace

Reencode parse_reencode(const std::string& text) {
  if (text == "auto") return Reencode::auto_;
  if (text == "always") return Reencode::always;
  if (text == "never") return Reencode::never;
  throw Error(ErrorKind::invalid_argument, "", "takes auto, always or never, not '" + text + "'", "reencode");
}

Overlap parse_overlap(const std::string& text) {
  if (text == "auto") return Overlap::auto_;
  if (text == "off") return Overlap::off;
  throw Error(ErrorKind::invalid_argument, "", "takes auto or off, not '" + text + "'", "overlap");
}

StitchResult stitch(const std::vector<std::string>& paths, const std::string& out, const StitchOptions& options) {
  if (paths.empty()) throw Error(ErrorKind::invalid_argument, "", "no clips to stitch");
  {
    auto ext = std::filesystem::path(out).extension().string();
    if (ext != ".mp4" && ext != ".mov" && ext != ".m4v") throw Error(ErrorKind::invalid_argument, out, "the output must be .mp4, .mov or .m4v");
  }
  post::check_not_an_input(out, paths);
  post::check_replaceable(out, options.overwrite);
  for (const auto& p : paths) post::check_regular_input(p);

  std::vector<Clip> clips;
  av::OpenOptions header_only;
  header_only.find_stream_info = false;
  header_only.own_file = true;  // so the payloads can stay in the file (read_without_payloads)
  for (const auto& p : paths) {
    Clip c;
    c.path = p;
    c.in = std::make_unique<av::Input>(p, header_only);
    const bool shared = !clips.empty() && shares_bitstream_config(*c.in, clips[0]);
    if (!shared) c.in->find_stream_info();
    const int v = post::video_stream(*c.in);
    const int a = c.in->best_stream(AVMEDIA_TYPE_AUDIO);
    if (shared) inherit_bitstream_fields(*c.in, v, a, clips[0]);
    c.video = (*c.in)->streams[v];
    c.audio = a >= 0 ? (*c.in)->streams[a] : nullptr;
    c.rotation = av::rotation_of(c.video);
    if (c.audio && c.audio->codecpar->sample_rate <= 0) c.audio = nullptr;
    select_streams(c, v, a);
    clips.push_back(std::move(c));
  }

  StitchResult result;
  result.path = out;
  std::vector<std::vector<std::string>> video_why = post::video_differences(clips);  // per clip
  std::vector<std::vector<std::string>> audio_why = post::audio_differences(clips);  // per clip

  // Frames that repeat the previous clip's end, decided by the pictures
  // themselves: one duplicated frame, or with overlap auto a whole echo.
  std::vector<post::Echo> echo(clips.size());
  if (options.drop_duplicate_seam_frames || options.overlap == Overlap::auto_) {
    post::EchoSearch search;
    search.min_psnr_db = options.duplicate_psnr_db;
    if (options.overlap == Overlap::auto_) {
      if (!(options.overlap_window > 0)) throw Error(ErrorKind::invalid_argument, "", "must be positive", "overlap_window");
      search.window = options.overlap_window;
    } else {
      search.window = 0;  // the last frame against the first
      search.max_frames = 1;
    }
    for (std::size_t i = 1; i < clips.size(); ++i) {
      echo[i] = post::find_echo(clips[i - 1].path, clips[i].path, search);
      if (echo[i].frames > 0)
        video_why[i].push_back(fmt::format("{}: its first {} frame(s) ({:.0f} ms) repeat the previous clip's end "
                                           "(PSNR {:.1f} dB); dropping frames needs re-encoding",
                                           post::name_of(clips[i], i), echo[i].frames, echo[i].seconds * 1000,
                                           echo[i].psnr_db));
    }
  }

  const bool any_audio = std::any_of(clips.begin(), clips.end(), [](const Clip& c) { return c.audio != nullptr; });
  std::vector<bool> redo;  // the clips whose video cannot be copied
  for (const auto& w : video_why) redo.push_back(!w.empty());
  const bool any_redo = std::find(redo.begin(), redo.end(), true) != redo.end();
  bool copy_v = options.reencode != Reencode::always && !any_redo;  // the whole track
  std::vector<bool> audio_redo;  // the clips whose audio cannot be copied
  for (const auto& w : audio_why) audio_redo.push_back(!w.empty());
  const bool any_audio_redo = std::find(audio_redo.begin(), audio_redo.end(), true) != audio_redo.end();
  bool copy_a = options.reencode != Reencode::always && !any_audio_redo;  // the whole track
  if (options.reencode == Reencode::never && !(copy_v && copy_a)) {
    std::string all;
    for (const auto& c : video_why)
      for (const auto& w : c) all += "; " + w;
    for (const auto& c : audio_why)
      for (const auto& w : c) all += "; " + w;
    throw Error(ErrorKind::validation, out, "cannot join without re-encoding" + all);
  }

  const Clip& first = clips[0];
  AVRational rate = av_guess_frame_rate(first.in->get(), const_cast<AVStream*>(first.video), nullptr);
  if (rate.num <= 0 || rate.den <= 0 || av_q2d(rate) > 240) rate = {24, 1};

  // Re-encode only what must be: the clips that differ, each alone into the
  // track the others are copied into, when that track stays valid;
  // otherwise the whole track, and `whole` says why.
  std::optional<post::InbandTarget> inband;
  std::string whole;
  if (options.reencode == Reencode::auto_ && any_redo) {
    if (redo[0])
      whole = post::name_of(first, 0) + " gives the copied track its parameters, so it cannot be re-encoded alone";
    else
      inband = post::plan_inband(first, rate, whole);
  }

  // Planned clip durations, for the chapters (written with the header).
  std::vector<double> planned;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    const AVStream* st = clips[i].video;
    std::int64_t end = post::stream_end(*clips[i].in, st);
    double d = end == AV_NOPTS_VALUE ? 0 : double(end - post::stream_start(st)) * av_q2d(st->time_base);
    d -= echo[i].seconds;
    if (!copy_v && (!inband || redo[i])) d = std::round(d * av_q2d(rate)) / av_q2d(rate);
    planned.push_back(std::max(0.0, d));
  }

  AtomicFile file(out, options.overwrite ? AtomicFile::Existing::overwrite : AtomicFile::Existing::refuse);
  std::unique_ptr<av::PayloadSources> payloads;  // outlives the muxer
  av::Muxer mux(file.temp_path());
  std::unique_ptr<post::VideoTrack> video;
  if (copy_v) {
    video = post::copy_video(mux, first.video);
  } else if (inband) {
    video = post::copy_video(mux, first.video, &*inband, redo);
  } else {
    av::VideoSettings s;
    const bool turned = first.rotation == 90 || first.rotation == 270;
    s.width = (turned ? first.video->codecpar->height : first.video->codecpar->width) & ~1;
    s.height = (turned ? first.video->codecpar->width : first.video->codecpar->height) & ~1;
    s.frame_rate = rate;
    s.preset = "medium";
    s.crf = 18;
    video = post::encode_video(mux, s);
  }
  std::unique_ptr<post::AudioTrack> audio;
  bool audio_mixed = false;  // copied, with some clips re-encoded alone
  std::string audio_whole;   // why the whole audio track is re-encoded though only some clips differ
  if (any_audio) {
    const Clip* with_audio = nullptr;
    for (const auto& c : clips)
      if (c.audio && !with_audio) with_audio = &c;
    // The clips whose audio differs are encoded alone into the copied
    // stream, unless the first audio clip, which configures it, is one.
    const std::size_t ref = std::size_t(with_audio - clips.data());
    if (options.reencode == Reencode::auto_ && !audio_redo[ref]) {
      audio = post::copy_audio(mux, with_audio->audio, audio_redo);
      if (audio) {
        audio_mixed = any_audio_redo;
      } else if (copy_a) {
        copy_a = false;
        audio_whole = "silence for the gaps cannot be made in the clips' exact AAC configuration";
      } else {
        audio_whole = "frames of our AAC encoder would not be valid in the clips' exact AAC configuration";
      }
    } else if (options.reencode == Reencode::auto_) {
      audio_whole = post::name_of(*with_audio, ref) + " gives the copied audio its configuration, so it cannot be "
                    "re-encoded alone";
    }
    if (!audio) {
      av::AudioSettings s;
      const AVCodecParameters* p = with_audio->audio->codecpar;
      s.sample_rate = p->sample_rate >= 8000 && p->sample_rate <= 96000 ? p->sample_rate : 48000;
      s.channels = std::clamp(p->ch_layout.nb_channels, 1, 2);
      s.bitrate = p->bit_rate >= 32000 && p->bit_rate <= 512000 ? p->bit_rate : 128000;
      audio = post::encode_audio(mux, s);
    }
  }
  std::vector<double> dropped;
  for (const auto& e : echo) dropped.push_back(e.seconds);
  const int chapters = post::add_chapters(mux.get(), clips, planned, dropped);
  // moov first without the second pass +faststart makes over the whole file:
  // reserve room for it at the front, sized from the sample counts we know.
  const std::int64_t reserve = copy_v ? moov_upper_bound(clips, planned, chapters) : 0;
  if (reserve > 0) av::check(av_opt_set_int(mux.get()->priv_data, "moov_size", reserve, 0), ErrorKind::io, out, "moov_size");
  // Every track copied: the bytes can go file to file while libavformat
  // still does all the format work. Not with +faststart (reserve 0), whose
  // second pass reads the file back before the bytes are in.
  if (options.file_to_file && copy_v && (!audio || copy_a) && reserve > 0 && bytes_can_stay_in_files(clips)) {
    std::vector<av::PayloadSources::File> files;
    for (const auto& c : clips) files.push_back({c.in->fd(), c.path});
    payloads = std::make_unique<av::PayloadSources>(files);
    mux.copy_payloads_from(*payloads);
  }
  mux.begin(reserve == 0);

  double v_start = 0, v_end = 0;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    Clip& c = clips[i];
    if (payloads) read_without_payloads(c);
    video->begin_clip(c, echo[i].frames);
    std::vector<av::PacketPtr> audio_packets;
    av::PacketPtr p = av::make_packet();
    for (;;) {
      throw_if_interrupted(c.path);
      c.in->rearm();
      int ret = av_read_frame(c.in->get(), p.get());
      if (ret == AVERROR_EOF) break;
      av::check(ret, ErrorKind::input, c.path, "read failed (truncated or corrupt?)");
      if (p->stream_index == c.video->index) {
        if (payloads) payloads->refer(*p, int(i));
        video->packet(*p);
        av_packet_unref(p.get());
      } else if (c.audio && p->stream_index == c.audio->index) {
        if (payloads) payloads->refer(*p, int(i));
        audio_packets.push_back(std::move(p));
        p = av::make_packet();
      } else {
        av_packet_unref(p.get());
      }
    }
    v_end = video->end_clip();
    if (v_end <= v_start) throw Error(ErrorKind::input, c.path, "no video frames");
    // A clip cut short (index first, data missing) would silently shorten the
    // result: refuse it when its frames stop more than two frames early.
    if (planned[i] - (v_end - v_start) > 2.0 / av_q2d(rate) + 1e-6)
      throw Error(ErrorKind::input, c.path,
                  fmt::format("truncated: the video stops at {:.3f} s of the {:.3f} s its header states",
                              v_end - v_start, planned[i]));
    double offset = audio ? audio->add_clip(c, audio_packets, echo[i].seconds, v_start, v_end) : 0;
    if (i > 0)
      result.seams.push_back({int(i), v_start, offset, echo[i].frames > 0, echo[i].frames, echo[i].seconds * 1000,
                              echo[i].psnr_db});
    v_start = v_end;
    c.in.reset();  // done with this clip: release its demuxer
  }
  video->finish();
  result.audio_duration = audio ? audio->finish(v_end) : 0;
  mux.end();
  if (payloads) payloads->check_unchanged();
  kill_point("stitch");
  file.commit();

  result.video_duration = v_end;
  result.video_copied = copy_v;
  result.audio_copied = any_audio && copy_a;
  result.has_audio = any_audio;
  result.video_mixed = inband.has_value();
  result.audio_mixed = audio_mixed;
  result.file_to_file = payloads != nullptr;
  if (inband) {
    for (std::size_t i = 0; i < clips.size(); ++i)
      for (auto& w : video_why[i]) result.reasons.push_back("video re-encoded for this clip only: " + w);
  } else if (!copy_v) {
    if (!whole.empty()) result.reasons.push_back("video re-encoded as one track: " + whole);
    for (auto& c : video_why)
      for (auto& w : c) result.reasons.push_back("video re-encoded: " + w);
  }
  for (std::size_t i = 0; i < clips.size(); ++i)
    if (!copy_v && (!inband || redo[i])) result.video_reencoded_clips.push_back(int(i));
  if (audio_mixed) {
    for (auto& c : audio_why)
      for (auto& w : c) result.reasons.push_back("audio re-encoded for this clip only: " + w);
  } else if (any_audio && !copy_a) {
    if (!audio_whole.empty()) result.reasons.push_back("audio re-encoded as one track: " + audio_whole);
    for (auto& c : audio_why)
      for (auto& w : c) result.reasons.push_back("audio re-encoded: " + w);
  }
  for (std::size_t i = 0; i < clips.size(); ++i)
    if (clips[i].audio && ((audio_mixed && audio_redo[i]) || (!audio_mixed && !copy_a)))
      result.audio_reencoded_clips.push_back(int(i));
  if (options.reencode == Reencode::always) result.reasons.push_back("re-encoded on request (reencode: always)");
  for (std::size_t i = 0; i < clips.size(); ++i)
    if (any_audio && !clips[i].audio)
      result.reasons.push_back(post::name_of(clips[i], i) + ": no audio, filled with silence");
  return result;
}

}  // namespace seedreel
