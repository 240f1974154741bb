// seedreel generate [--prompt T] [--first-frame F] [--last-frame F] [--ref-image F]... [--ref-video F]...
//                   [--ref-audio F]... [--resolution P] [--ratio R] [--duration S] [--no-audio] [--web-search]
//                   [--seed N] [--provider NAME] [--model M] [--base-url URL] [--dry-run] [--new-task] -o OUT.mp4
// Validate, create, journal, poll, download: one paid generation, never lost.
#include <stdlib.h>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"
#include "seedreel/conform.hpp"
#include "seedreel/journal.hpp"
#include "seedreel/lifecycle.hpp"
#include "seedreel/probe.hpp"
#include "seedreel/workflow.hpp"
#include "request_flags.hpp"
#include "upload_options.hpp"

namespace seedreel::cli {
namespace {

nlohmann::json estimate_json(const Request& r) {
  auto tokens = estimate_tokens(r);
  return tokens ? nlohmann::json(*tokens) : nlohmann::json(nullptr);
}

void print_takeover(const GenerateResult& r) {
  fmt::print(stderr,
             "seedreel: took over task {} that an earlier run journaled for this request and output (entry {}); "
             "nothing new was paid for (--new-task pays for another)\n",
             r.task.id, r.adopted_entry);
}

void print_findings(const std::vector<Finding>& findings, const Context& ctx) {
  if (ctx.json) {
    print_json(nlohmann::json{{"ok", false}, {"findings", findings}});
    return;
  }
  std::vector<Row> rows{{"RULE", "ITEM", "ACTUAL", "ALLOWED", "WHY"}};
  for (const auto& f : findings) rows.push_back({f.rule, f.path.empty() ? "(request)" : f.path, f.actual, f.allowed, f.message});
  print_table(rows);
  fmt::print(stderr, "seedreel: the request breaks {} rule(s); nothing was sent\n", findings.size());
}

// A folder for copies made during a run that keeps nothing (a dry run, or no
// output to put them beside); removed when the command ends.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "seedreel-conform-XXXXXX").string();
    // mkdtemp replaces the X's with a unique name and makes the folder 0700.
    if (!mkdtemp(tmpl.data())) throw Error(ErrorKind::io, tmpl, "cannot make a scratch folder");
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

// Local files that fail their rules are conformed before anything is sent, as
// batch does; each change is stated. Unreadable files stop the command.
std::vector<Conformed> conform_local(Request& r, const Provider& provider, const std::string& folder, Fit fit,
                                     bool can_publish, const Context& ctx) {
  bool any_local = std::any_of(r.media.begin(), r.media.end(),
                               [](const MediaItem& m) { return source_kind(m.source) == SourceKind::local; });
  if (!any_local) return {};
  auto local = probe_local_media(r);
  ConformOptions co;
  co.outdir = folder;
  co.fit = fit;
  co.force = true;  // the work folder is ours; a rerun replaces its own copies
  auto result = conform_request(r, local, provider, co, can_publish);
  if (!result.errors.empty()) throw result.errors.front();
  if (!ctx.json)
    for (const auto& c : result.done)
      fmt::print(stderr, "seedreel: conformed {} {}: {} ({})\n", to_string(c.role), c.input, describe_changes(c.changes),
                 c.output);
  return std::move(result.done);
}

const Registration reg{40, "generate", "Submit a generation, wait for it and download the video",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    Request request;
    std::string first, last, output;
    std::vector<std::string> ref_images, ref_videos, ref_audios;
    bool no_audio = false, watermark = false, dry_run = false, retry_without_audio = false, no_wait = false;
    bool new_task = false, no_conform = false;
    std::string fit = "pad";
    std::optional<int> duration;
    std::optional<std::int64_t> seed;
    ApiFlags api;
    UploadFlags upload;
    UpstreamFlags upstream;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--prompt", o->request.prompt, "Text prompt; refer to media as @image1, @video1, @audio1");
  sub.add_option("--first-frame", o->first, "First frame image (file, URL, data URI or asset://ID)");
  sub.add_option("--last-frame", o->last, "Last frame image (needs --first-frame)");
  sub.add_option("--ref-image", o->ref_images, "Reference image (repeatable)")->allow_extra_args(false);
  sub.add_option("--ref-video", o->ref_videos, "Reference video: file (needs --upload), URL or asset://ID (repeatable)")
      ->allow_extra_args(false);
  sub.add_option("--ref-audio", o->ref_audios, "Reference audio (repeatable)")->allow_extra_args(false);
  sub.add_option("--resolution", o->request.resolution, "480p 720p 1080p (default: the provider's, 720p)");
  sub.add_option("--ratio", o->request.ratio, "16:9 4:3 1:1 3:4 9:16 21:9 adaptive");
  sub.add_option("--duration", o->duration, "Output seconds, 4-15");
  sub.add_flag("--no-audio", o->no_audio, "Do not generate audio");
  sub.add_flag("--web-search", o->request.web_search, "Let the model search the web (text-to-video only)");
  sub.add_option("--seed", o->seed, "Random seed (Ark)");
  sub.add_flag("--watermark", o->watermark, "Ask for a watermark");
  add_upstream_flags(sub, o->upstream);
  sub.add_option("--model", o->request.model, "Model (default: the provider's)");
  sub.add_flag("--dry-run", o->dry_run, "Print the exact request (key redacted) and send nothing");
  sub.add_flag("--retry-without-audio", o->retry_without_audio,
               "If the audio is refused by moderation (OutputAudioSensitiveContentDetected), resubmit once without audio");
  sub.add_flag("--no-wait", o->no_wait, "Create the task, journal it, print its id and return");
  sub.add_flag("--new-task", o->new_task,
               "Pay for a new task even when an earlier run journaled this same request and output unfinished "
               "(by default that task is taken over)");
  sub.add_flag("--no-conform", o->no_conform,
               "Refuse local files that fail the API's rules instead of conforming copies of them (OUT.parts/)");
  sub.add_option("--fit", o->fit, "How a conformed image or video outside the aspect band is fitted: pad or crop")
      ->capture_default_str();
  sub.add_option("-o,--output", o->output, "Where to write the video (.mp4)");
  add_api_flags(sub, o->api);
  add_upload_flags(sub, o->upload);

  return [o, &ctx] {
    Request& r = o->request;
    r.media.clear();
    if (!o->first.empty()) r.media.push_back({o->first, Role::first_frame});
    if (!o->last.empty()) r.media.push_back({o->last, Role::last_frame});
    for (const auto& f : o->ref_images) r.media.push_back({f, Role::reference_image});
    for (const auto& f : o->ref_videos) r.media.push_back({f, Role::reference_video});
    for (const auto& f : o->ref_audios) r.media.push_back({f, Role::reference_audio});
    r.duration = o->duration;
    r.seed = o->seed;
    r.generate_audio = !o->no_audio;
    if (o->watermark) r.watermark = true;
    apply_upstream_flags(o->upstream, r);
    if (!o->dry_run && !o->no_wait && o->output.empty()) throw Error(ErrorKind::usage, "-o", "give the output video path");

    auto fit = parse_fit(o->fit);
    if (!fit) throw Error(ErrorKind::usage, "--fit", "expected pad or crop, got '" + o->fit + "'");

    Provider provider = provider_for(o->api);
    auto uploader = make_uploader(o->upload, o->api, ctx);
    std::vector<Conformed> conformed;
    std::optional<ScratchDir> scratch;
    if (!o->no_conform) {
      std::string folder;
      if (o->dry_run || o->output.empty())
        folder = scratch.emplace().path;
      else
        folder = (std::filesystem::path(parts_dir_for(o->output)) / "conformed").string();
      conformed = conform_local(r, provider, folder, *fit, uploader != nullptr, ctx);
    }
    // Local files the body cannot carry are published first (nothing is sent
    // while a rule fails); an asset needs the provider's client for that.
    std::unique_ptr<Client> client;
    if (uploader && !o->dry_run && uploader->spec().starts_with("asset")) client = make_client(o->api, provider, ctx);
    PublishedRequest published = prepare_published(r, provider, uploader.get(), client.get(), o->dry_run);
    PreparedRequest& prepared = published.prepared;
    if (!prepared.findings.empty()) {
      if (!uploader) add_upload_hint(prepared.findings);
      print_findings(prepared.findings, ctx);
      return exit_code::rejected;
    }
    for (const auto& note : prepared.notes) fmt::print(stderr, "seedreel: warning: {}\n", note);
    report_published(published.published, ctx);
    r = published.request;
    std::string url = provider.url(provider.create_path);
    if (o->dry_run) {
      // The key is never printed: only whether one would be sent.
      bool keyed = !load_api_key().empty();
      auto body = nlohmann::json::parse(redact_presigned(prepared.body));
      if (ctx.json) {
        nlohmann::json headers = {{"Content-Type", "application/json"}};
        if (keyed) headers["Authorization"] = "Bearer ***";
        print_json(nlohmann::json{{"method", "POST"}, {"url", url}, {"headers", headers}, {"body", body},
                                  {"mode", to_string(infer_mode(r))}, {"provider", provider.name},
                                  {"model", body.value("model", "")}, {"warnings", prepared.notes},
                                  {"conformed", conformed}, {"estimated_tokens", estimate_json(r)}});
      } else {
        fmt::print("POST {}\n{}Content-Type: application/json\n\n{}\n", url, keyed ? "Authorization: Bearer ***\n" : "",
                   body.dump(2));
        if (auto tokens = estimate_tokens(r)) fmt::print("estimated tokens: {}\n", *tokens);
      }
      return exit_code::ok;
    }

    if (!client) client = make_client(o->api, provider, ctx);
    Journal journal(journal_path(o->api));
    TaskLifecycle life(*client, &journal);
    life.on_notice = [](const std::string& text) { fmt::print(stderr, "seedreel: {}\n", text); };
    GenerateOptions g;
    g.output = o->output;
    g.retry_without_audio = o->retry_without_audio;
    g.adopt_journaled = !o->new_task;
    if (o->no_wait) {
      GenerateResult started = life.submit(r, prepared.body, g);
      if (started.adopted_entry) print_takeover(started);
      if (ctx.json)
        print_json(nlohmann::json{{"id", started.task.id}, {"provider", provider.name},
                                          {"adopted", started.adopted_entry != 0},
                                          {"estimated_tokens", estimate_json(r)},
                                          {"requests", client->stats().requests}});
      else
        fmt::print("{}\n", started.task.id);
      return exit_code::ok;
    }
    GenerateResult result = life.generate(r, prepared.body, g);
    if (result.adopted_entry) print_takeover(result);
    if (result.audio_dropped) fmt::print(stderr, "seedreel: the audio was refused by moderation; generated again without audio\n");
    const auto& s = client->stats();
    if (ctx.json) {
      nlohmann::json j = {{"ok", true}, {"output", result.output}, {"bytes", result.bytes}, {"provider", provider.name},
                          {"mode", to_string(infer_mode(r))}, {"audio_dropped", result.audio_dropped},
                          {"adopted", result.adopted_entry != 0}, {"model", choose_model(provider, r.model).id},
                          {"warnings", prepared.notes}, {"conformed", conformed},
                          {"last_frame", result.last_frame.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.last_frame)},
                          {"estimated_tokens", estimate_json(r)},
                          {"task", task_json(result.task)},
                          {"stats", {{"requests", s.requests}, {"retries", s.retries}, {"resumes", s.resumes}, {"refreshes", s.refreshes}}}};
      print_json(j);
    } else {
      fmt::print("{}  {}  task {}{}\n", result.output, human_bytes(result.bytes), result.task.id,
                 result.audio_dropped ? "  (without audio)" : "");
      if (!result.last_frame.empty()) fmt::print("{}  last frame\n", result.last_frame);
    }
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
