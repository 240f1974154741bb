// seedreel check FILE... [--model M] [--as ROLE]... [--resolution P]
// Preflight: every rule each file and the whole set break, before upload.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "output.hpp"
#include "seedreel/preflight.hpp"
#include "seedreel/probe.hpp"

namespace seedreel::cli {

nlohmann::json error_json(const Error& e);

// One --as for all files, or one per file in order; none: inferred from the kind.
std::vector<std::optional<Role>> parse_roles(const std::vector<std::string>& given, std::size_t files) {
  if (!given.empty() && given.size() != 1 && given.size() != files)
    throw Error(ErrorKind::invalid_argument, "--as", fmt::format("give one role for all files or one per file ({} files, {} roles)", files, given.size()));
  std::vector<std::optional<Role>> roles(files);
  for (std::size_t i = 0; i < files && !given.empty(); ++i) {
    const auto& text = given.size() == 1 ? given[0] : given[i];
    auto role = parse_role(text);
    if (!role) throw Error(ErrorKind::invalid_argument, "--as", "unknown role '" + text + "'");
    roles[i] = role;
  }
  return roles;
}

namespace {

const Registration reg{20, "check", "Preflight: list every rule the files break, per file and as one request",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::vector<std::string> files, roles;
    CheckOptions check;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("files", o->files, "Media files")->required();
  sub.add_option("--model", o->check.model, "Model whose limits apply")->capture_default_str();
  sub.add_option("--as", o->roles,
                 "Role: first_frame last_frame reference_image reference_video reference_audio "
                 "(once for all files, or once per file)")
      ->allow_extra_args(false);
  sub.add_option("--resolution", o->check.resolution, "Requested output resolution (480p 720p 1080p)");
  return [o, &ctx] {
    auto roles = parse_roles(o->roles, o->files.size());
    auto results = probe_all(o->files);
    std::vector<CheckItem> items;
    nlohmann::json files = nlohmann::json::array();
    std::vector<Row> rows{{"FILE", "ROLE", "RESULT"}};
    std::vector<Finding> findings;
    bool unreadable = false;
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (const auto* e = std::get_if<Error>(&results[i])) {
        unreadable = true;
        print_error(*e);
        files.push_back(error_json(*e));
        rows.push_back({o->files[i], "-", "unreadable: " + e->reason()});
        continue;
      }
      const auto& m = std::get<MediaInfo>(results[i]);
      Role role = roles[i].value_or(default_role(m.kind));
      auto own = check_file(m, role);
      files.push_back({{"path", m.path}, {"role", to_string(role)}, {"kind", to_string(m.kind)},
                       {"ok", own.empty()}, {"findings", own}});
      rows.push_back({m.path, to_string(role),
                      own.empty() ? "ok" : fmt::format("{} violation{}", own.size(), own.size() == 1 ? "" : "s")});
      findings.insert(findings.end(), own.begin(), own.end());
      items.push_back({m, role});
    }
    auto set = check_set(items, o->check);
    findings.insert(findings.end(), set.begin(), set.end());
    bool pass = findings.empty() && !unreadable;
    if (ctx.json) {
      nlohmann::json out = {{"ok", pass}, {"model", o->check.model}, {"files", files}, {"set", set}, {"findings", findings}};
      print_json(out);
    } else {
      print_table(rows);
      if (!findings.empty()) {
        fmt::print("\n");
        std::vector<Row> f{{"RULE", "FILE", "ACTUAL", "ALLOWED", "WHY"}};
        for (const auto& x : findings) f.push_back({x.rule, x.path.empty() ? "(set)" : x.path, x.actual, x.allowed, x.message});
        print_table(f);
      }
      fmt::print("\n{}: {} file(s), {} violation(s){}\n", pass ? "PASS" : "FAIL", o->files.size(), findings.size(),
                 unreadable ? ", some files unreadable" : "");
    }
    if (unreadable) return exit_code::bad_input;
    return findings.empty() ? exit_code::ok : exit_code::rejected;
  };
}};

}  // namespace
}  // namespace seedreel::cli
