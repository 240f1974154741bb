// seedreel conform FILE... -o OUTDIR : make every file acceptable to the API
// with the smallest change, and say what changed.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "output.hpp"
#include "seedreel/conform.hpp"

namespace seedreel::cli {

nlohmann::json error_json(const Error& e);
std::vector<std::optional<Role>> parse_roles(const std::vector<std::string>& given, std::size_t files);

namespace {

const Registration reg{30, "conform", "Make files acceptable to the API with the smallest change, and say what changed",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::vector<std::string> files, roles;
    std::string fit = "pad", pad = "black", budget = "proportional";
    ConformOptions conform;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("files", o->files, "Media files")->required();
  sub.add_option("-o,--outdir", o->conform.outdir, "Output folder (created if missing)")->required();
  sub.add_option("--model", o->conform.model, "Model whose limits apply")->capture_default_str();
  sub.add_option("--as", o->roles,
                 "Role: first_frame last_frame reference_image reference_video reference_audio "
                 "(once for all files, or once per file)")
      ->allow_extra_args(false);
  sub.add_option("--fit", o->fit, "Out-of-band aspect or exact frame size: pad or crop (centre)")->capture_default_str();
  sub.add_option("--pad", o->pad, "Padding: a colour (black, white, grey, RRGGBB) or blur")->capture_default_str();
  sub.add_option("--ratio", o->conform.ratio, "Output ratio (16:9 4:3 1:1 3:4 9:16 21:9): with --resolution, "
                                              "first/last frames get its exact pixel size");
  sub.add_option("--resolution", o->conform.resolution, "Output resolution (480p 720p 1080p)");
  sub.add_option("--total-budget", o->budget,
                 "How several videos (or audio files) share 15 s: proportional (same factor) or first-n "
                 "(same first N seconds of each)")
      ->capture_default_str();
  sub.add_option("--quality", o->conform.jpeg_quality, "JPEG/WebP quality for re-encoded images")->capture_default_str();
  sub.add_option("--max-side", o->conform.image_max_side,
                 "Shrink images whose longest side is over this many pixels (300-6000; default: the API's 6000)");
  sub.add_option("--jobs", o->conform.jobs, "Files conformed at once (default: one per core)")->check(CLI::Range(1, 256));
  sub.add_flag("--force", o->conform.force, "Replace existing outputs");
  return [o, &ctx] {
    auto fit = parse_fit(o->fit);
    if (!fit) throw Error(ErrorKind::invalid_argument, "--fit", "expected pad or crop, got '" + o->fit + "'");
    auto pad = parse_pad_fill(o->pad);
    if (!pad) throw Error(ErrorKind::invalid_argument, "--pad", "expected a colour (black, white, grey, RRGGBB) or blur, got '" + o->pad + "'");
    auto budget = parse_total_budget(o->budget);
    if (!budget) throw Error(ErrorKind::invalid_argument, "--total-budget", "expected proportional or first-n, got '" + o->budget + "'");
    o->conform.fit = *fit;
    o->conform.pad = *pad;
    o->conform.total_budget = *budget;
    auto roles = parse_roles(o->roles, o->files.size());
    std::vector<ConformInput> inputs;
    for (std::size_t i = 0; i < o->files.size(); ++i) inputs.push_back({o->files[i], roles[i]});

    auto results = conform(inputs, o->conform);
    for (auto& r : results)
      if (const auto* e = std::get_if<Error>(&r)) r = in_cli_terms(*e);

    bool unreadable = false, failing = false;
    nlohmann::json files = nlohmann::json::array();
    std::vector<Row> rows{{"FILE", "ROLE", "ACTION", "OUTPUT", "CHANGES"}};
    std::vector<CheckItem> outputs;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (const auto* e = std::get_if<Error>(&results[i])) {
        unreadable = true;
        print_error(*e);
        auto j = error_json(*e);
        j["path"] = o->files[i];
        files.push_back(j);
        rows.push_back({o->files[i], "-", "failed", "-", e->reason()});
        continue;
      }
      const auto& c = std::get<Conformed>(results[i]);
      failing = failing || !c.ok();
      files.push_back(c);
      rows.push_back({c.input, to_string(c.role), c.ok() ? to_string(c.action) : std::string(to_string(c.action)) + " (still fails)",
                      c.output, (c.changes.empty() ? std::string("-") : describe_changes(c.changes))});
      outputs.push_back({c.info, c.role});
    }
    // Conform owns the totals; counts and modes are the request's business (seedreel check).
    std::vector<Finding> set;
    for (auto& f : check_set(outputs, {o->conform.model, o->conform.resolution}))
      if (f.rule == "set.video_total" || f.rule == "set.audio_total") set.push_back(f);
    failing = failing || !set.empty();
    if (ctx.json) {
      nlohmann::json out = {{"ok", !failing && !unreadable}, {"outdir", o->conform.outdir}, {"files", files}, {"set", set}};
      print_json(out);
    } else {
      print_table(rows);
      std::vector<Row> still{{"RULE", "FILE", "ACTUAL", "ALLOWED", "WHY"}};
      for (const auto& r : results)
        if (const auto* c = std::get_if<Conformed>(&r))
          for (const auto& f : c->after) still.push_back({f.rule, f.path, f.actual, f.allowed, f.message});
      for (const auto& f : set) still.push_back({f.rule, "(set)", f.actual, f.allowed, f.message});
      if (still.size() > 1) {
        fmt::print("\nstill failing after conform:\n");
        print_table(still);
      }
    }
    if (unreadable) return exit_code::bad_input;
    return failing ? exit_code::rejected : exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
