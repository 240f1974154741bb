// seedreel asset group NAME · seedreel asset create --group G --type Image|Video|Audio --url URL [--name N]
// The asset library: register media once, use it as asset://ID.
#include <fmt/format.h>

#include "api_options.hpp"
#include "command.hpp"
#include "output.hpp"

namespace seedreel::cli {
namespace {

const Registration reg{44, "asset", "Asset library: create a group, register media as asset://ID",
                       [](CLI::App& sub, const Context& ctx) -> Runner {
  struct Opts {
    std::string group_name, group, type, url, name;
    ApiFlags api;
  };
  auto o = std::make_shared<Opts>();
  sub.require_subcommand(1, 1);
  CLI::App* group = sub.add_subcommand("group", "Create an asset group; prints its id");
  group->add_option("name", o->group_name, "Group name")->required();
  add_api_flags(*group, o->api);
  CLI::App* create = sub.add_subcommand("create", "Register an image, video or audio URL in a group; prints asset://ID");
  create->add_option("--group", o->group, "Group id (from `seedreel asset group`)")->required();
  create->add_option("--type", o->type, "Image, Video or Audio")->required()->check(CLI::IsMember({"Image", "Video", "Audio"}));
  create->add_option("--url", o->url, "Public http(s) URL of the media")->required();
  create->add_option("--name", o->name, "Asset name (default: the URL's file name)");
  add_api_flags(*create, o->api);
  // --json also after the nested command (`asset group NAME --json`). main owns
  // the Context as a mutable object; Setup only sees it through a const reference.
  for (auto* s : {group, create}) s->add_flag("--json", const_cast<Context&>(ctx).json, "Machine-readable result on stdout");
  return [o, &ctx, group, create] {
    Provider provider = provider_for(o->api);
    auto client = make_client(o->api, provider, ctx);
    if (group->parsed()) {
      std::string id = client->create_asset_group(o->group_name);
      if (ctx.json)
        print_json(nlohmann::json{{"id", id}, {"name", o->group_name}});
      else
        fmt::print("{}\n", id);
      return exit_code::ok;
    }
    if (o->url.rfind("http://", 0) != 0 && o->url.rfind("https://", 0) != 0)
      throw Error(ErrorKind::invalid_argument, "--url", "the asset API takes a public http(s) URL");
    std::string name = o->name;
    if (name.empty()) {
      auto path = o->url.substr(0, o->url.find_first_of("?#"));
      name = path.substr(path.rfind('/') + 1);
      if (name.empty()) name = "asset";
    }
    std::string id = client->create_asset(o->group, name, o->type, o->url);
    if (ctx.json)
      print_json(nlohmann::json{{"id", id}, {"uri", "asset://" + id}, {"group", o->group}, {"type", o->type}});
    else
      fmt::print("asset://{}\n", id);
    (void)create;
    return exit_code::ok;
  };
}};

}  // namespace
}  // namespace seedreel::cli
