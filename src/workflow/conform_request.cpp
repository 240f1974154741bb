// A request's failing local files, conformed before anything is sent: the
// step batch and generate share (conform.hpp).
#include "seedreel/conform.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"

namespace seedreel {

RequestConform conform_request(Request& request, std::vector<std::optional<MediaInfo>>& local, const Provider& provider,
                               ConformOptions options, bool can_publish) {
  RequestConform out;
  // Limits are judged for the model as the provider will receive it.
  options.model = effective_model(request, provider);
  // With an exact ratio and resolution, a conformed first/last frame gets the exact output size.
  options.ratio.clear();
  options.resolution.clear();
  if (!request.ratio.empty() && request.ratio != "adaptive" && !request.resolution.empty()) {
    options.ratio = request.ratio;
    options.resolution = request.resolution;
  }
  local.resize(request.media.size());
  for (std::size_t i = 0; i < request.media.size(); ++i) {
    auto& item = request.media[i];
    if (!local[i] || check_file(*local[i], item.role).empty()) continue;
    if (local[i]->kind == MediaKind::video && !can_publish) continue;
    auto outcome = conform({{item.source, item.role}}, options);
    if (auto* err = std::get_if<Error>(&outcome.front())) {
      out.errors.push_back(*err);
      continue;
    }
    auto& c = std::get<Conformed>(outcome.front());
    if (!c.ok()) continue;
    item.source = c.output;
    local[i] = c.info;
    out.done.push_back(std::move(c));
  }
  return out;
}

}  // namespace seedreel
