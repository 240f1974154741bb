// conform: probe every file, give videos and audio their share of the total
// duration, run each file's step, then re-probe and re-check every output.
#include "seedreel/conform.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "av/ffmpeg.hpp"
#include "conform/job.hpp"
#include "image/ops.hpp"
#include "image/vips.hpp"
#include "seedreel/probe.hpp"
#include "util/interrupt.hpp"
#include "util/parallel.hpp"

namespace seedreel {

namespace fs = std::filesystem;
using namespace conform_detail;

namespace conform_detail {

std::string dims(int width, int height) { return fmt::format("{}x{}", width, height); }
std::string seconds(double s) { return fmt::format("{:.3f} s", s); }
bool has_rule(const std::vector<Finding>& findings, std::string_view rule) {
  return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.rule == rule; });
}

Conformed copy_unchanged(const Job& job) {
  std::string ext = fs::path(job.info.path).extension().string();
  if (!ext.empty()) ext.erase(0, 1);
  if (ext.empty()) ext = job.info.format == "jpeg" ? "jpg" : job.info.format;
  fs::path target = job.target(ext);
  AtomicFile out(target, job.existing());
  std::error_code ec;
  fs::copy_file(job.info.path, out.temp_path(), fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(ErrorKind::io, target.string(), "cannot copy: " + ec.message());
  out.commit();
  Conformed c;
  c.action = Action::unchanged;
  c.output = target.string();
  return c;
}

}  // namespace conform_detail

namespace {

void validate(const ConformOptions& o) {
  if (o.outdir.empty()) throw Error(ErrorKind::invalid_argument, "", "an output folder is required", "outdir");
  if (o.ratio.empty() != o.resolution.empty())
    throw Error(ErrorKind::invalid_argument, "", "ratio and resolution go together", o.ratio.empty() ? "resolution" : "ratio");
  auto known = [](std::span<const std::string_view> list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  if (!o.ratio.empty() && !known(ratios(), o.ratio))
    throw Error(ErrorKind::invalid_argument, "", fmt::format("unknown ratio '{}' (one of {})", o.ratio, fmt::join(ratios(), ", ")),
                "ratio");
  if (!o.resolution.empty() && !known(resolutions(), o.resolution))
    throw Error(ErrorKind::invalid_argument, "",
                fmt::format("unknown resolution '{}' (one of {})", o.resolution, fmt::join(resolutions(), ", ")), "resolution");
  // A model no table knows is judged by its name's family (limits.hpp), not refused.
  const JudgedModel judged = judge_model(o.model);
  const ModelLimits* model = &judged.limits;
  if (!o.resolution.empty() && resolution_rank(o.resolution) > resolution_rank(model->max_resolution))
    throw Error(ErrorKind::validation, "",
                fmt::format("{} stops at {}; {} is not available", model->name, model->max_resolution, o.resolution),
                "resolution");
  const auto& side = media_limits().image_side;
  if (o.image_max_side != 0 && !side.contains(o.image_max_side))
    throw Error(ErrorKind::invalid_argument, "", fmt::format("must be {:.0f}-{:.0f}", side.min, side.max), "image_max_side");
  if (o.jpeg_quality < 1 || o.jpeg_quality > 100)
    throw Error(ErrorKind::invalid_argument, "", "quality must be 1-100", "jpeg_quality");
}

void prepare_outdir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw Error(ErrorKind::io, dir, "cannot create output folder: " + (ec ? ec.message() : "not a directory"));
  if (::access(dir.c_str(), W_OK | X_OK) != 0) throw Error(ErrorKind::io, dir, "output folder is not writable");
}

bool same_file(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// Output names: OUTDIR/<stem>.<ext>; the k-th input with the same stem gets
// "<stem>-k" whatever finishes first, and an output that would land on its
// own input "<stem>.conformed". Files are conformed in parallel: take() locks.
class Names {
 public:
  Names(fs::path dir, const std::vector<ConformInput>& inputs) : dir_(std::move(dir)) {
    std::map<std::string, int> seen;
    for (const auto& in : inputs) first_.push_back(++seen[lower(stem_of(in.path))]);
  }
  fs::path take(std::size_t index, const std::string& input, const std::string& ext) {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(index, ext);
    if (auto it = mine_.find(key); it != mine_.end()) return it->second;
    const std::string stem = stem_of(input);
    for (int n = first_[index];; ++n) {
      std::string name = stem + (n == 1 ? "" : "-" + std::to_string(n)) + "." + ext;
      fs::path p = dir_ / name;
      if (same_file(p, input)) p = dir_ / (stem + ".conformed." + ext);
      if (taken_.insert(lower(p.filename().string())).second) return mine_[key] = p;
    }
  }

 private:
  static std::string stem_of(const std::string& input) {
    std::string stem = fs::path(input).stem().string();
    return stem.empty() ? "output" : stem;
  }
  fs::path dir_;
  std::vector<int> first_;
  std::mutex mutex_;
  std::set<std::string> taken_;
  std::map<std::pair<std::size_t, std::string>, fs::path> mine_;
};

Error wrong_role(const MediaInfo& m, Role role) {
  if (role == Role::reference_video)
    return Error(ErrorKind::input, m.path, fmt::format("has no video stream ({}); cannot be reference_video", to_string(m.kind)));
  return Error(ErrorKind::input, m.path, fmt::format("is {} {}; cannot be {}", m.kind == MediaKind::image ? "an" : "a",
                                                     to_string(m.kind), to_string(role)));
}

}  // namespace

std::vector<ConformOutcome> conform(const std::vector<ConformInput>& inputs, const ConformOptions& options) {
  validate(options);
  image::init_vips();
  image::quiet_warnings();
  av::quiet_logging();
  prepare_outdir(options.outdir);

  std::vector<std::string> paths;
  for (const auto& in : inputs) paths.push_back(in.path);
  auto probed = probe_all(paths);

  const auto& L = media_limits();
  std::vector<ConformOutcome> out(inputs.size(), Error(ErrorKind::input, "", "not conformed"));
  std::vector<Role> roles(inputs.size());
  std::vector<std::size_t> videos, audios;
  std::vector<double> video_durations, audio_durations;
  double audio_room = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (auto* e = std::get_if<Error>(&probed[i])) {
      out[i] = *e;
      continue;
    }
    const auto& m = std::get<MediaInfo>(probed[i]);
    roles[i] = inputs[i].role.value_or(default_role(m.kind));
    if (kind_of(roles[i]) != m.kind) {
      out[i] = wrong_role(m, roles[i]);
      probed[i] = std::get<Error>(out[i]);
      continue;
    }
    if (m.kind == MediaKind::video) videos.push_back(i), video_durations.push_back(m.media_duration());
    if (m.kind == MediaKind::audio) audios.push_back(i), audio_durations.push_back(m.media_duration());
    if (m.kind == MediaKind::audio) audio_room += mp3_overshoot(m);
  }
  std::vector<double> budget(inputs.size(), 0);
  auto vshare = share_duration(video_durations, L.video_total_max, L.video_duration, options.total_budget);
  auto ashare = share_duration(audio_durations, L.audio_total_max - audio_room, L.audio_duration, options.total_budget);
  for (std::size_t k = 0; k < videos.size(); ++k)
    budget[videos[k]] = options.video_max_seconds > 0 ? std::min(vshare[k], options.video_max_seconds) : vshare[k];
  for (std::size_t k = 0; k < audios.size(); ++k) budget[audios[k]] = ashare[k];

  // One file per core: each is decoded, resized and encoded on its own, so
  // the cores stay busy on a folder of photos as well as on a few videos.
  Names names{fs::path(options.outdir), inputs};
  parallel_for(inputs.size(), options.jobs, [&](std::size_t i) {
    const auto* m = std::get_if<MediaInfo>(&probed[i]);
    if (!m) return;
    Job job{*m, roles[i], check_file(*m, roles[i]), budget[i], options,
            [&, i](const std::string& ext) { return names.take(i, inputs[i].path, ext); }};
    try {
      Conformed c;
      switch (m->kind) {
        case MediaKind::image: c = conform_image(job); break;
        case MediaKind::video: c = conform_video(job); break;
        case MediaKind::audio: c = conform_audio(job); break;
      }
      c.input = m->path;
      c.role = roles[i];
      c.before = job.findings;
      try {
        // An unchanged copy has the input's bytes, already probed and passed;
        // anything written anew is read back and checked.
        if (c.action == Action::unchanged) {
          c.info = *m;
          c.info.path = c.output;
        } else {
          c.info = probe(c.output);
        }
      } catch (const Error& e) {
        throw Error(ErrorKind::io, c.output, "the conformed output does not read back: " + e.reason());
      }
      c.after = check_file(c.info, c.role);
      // Report lengths as the re-probe reads them (mp3 frames, AAC packets round them).
      for (auto& ch : c.changes)
        if (ch.what == "trimmed" || ch.what == "extended") {
          auto note = ch.after.find(" (");
          ch.after = seconds(c.info.media_duration()) + (note == std::string::npos ? "" : ch.after.substr(note));
        }
      out[i] = std::move(c);
    } catch (const Error& e) {
      out[i] = e;
    } catch (const std::bad_alloc&) {
      out[i] = Error(ErrorKind::input, m->path, "out of memory");
    } catch (const std::exception& e) {
      out[i] = Error(ErrorKind::input, m->path, e.what());
    }
  });
  throw_if_interrupted();
  return out;
}

void to_json(nlohmann::json& j, const Change& c) { j = {{"what", c.what}, {"before", c.before}, {"after", c.after}}; }

void to_json(nlohmann::json& j, const Conformed& c) {
  j = {{"path", c.input},         {"output", c.output},   {"role", to_string(c.role)},
       {"kind", to_string(c.info.kind)}, {"action", to_string(c.action)}, {"ok", c.ok()},
       {"changes", c.changes},    {"before", c.before},   {"after", c.after},
       {"info", c.info}};
}

}  // namespace seedreel
