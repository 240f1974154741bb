// A request with local files: which go inline and which are published, the
// rules checked before anything is sent, then the publishing itself.
#include <algorithm>
#include <numeric>
#include <set>

#include "seedreel/error.hpp"
#include "seedreel/limits.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/upload.hpp"

namespace seedreel {

namespace {

std::uint64_t inline_cost(const MediaInfo& info) { return (info.file_size + 2) / 3 * 4 + 32; }  // base64 + "data:…;base64,"

// The body's fixed part, as request validation counts it.
std::uint64_t base_cost(const Request& r) { return r.prompt.size() + 4096; }

}  // namespace

std::vector<bool> media_to_publish(const Request& request, const Provider& provider,
                                   std::span<const std::optional<MediaInfo>> local) {
  std::vector<bool> out(request.media.size(), false);
  std::vector<std::size_t> inlined;
  std::uint64_t total = base_cost(request);
  for (std::size_t i = 0; i < request.media.size() && i < local.size(); ++i) {
    if (source_kind(request.media[i].source) != SourceKind::local || !local[i]) continue;
    if (kind_of(request.media[i].role) == MediaKind::video || !provider.data_uris) {
      out[i] = true;  // never inline: videos, and anything for a URL-only dialect
      continue;
    }
    inlined.push_back(i);
    total += inline_cost(*local[i]);
  }
  // Over the cap: publish the largest until the rest fits.
  std::stable_sort(inlined.begin(), inlined.end(),
                   [&](std::size_t a, std::size_t b) { return local[a]->file_size > local[b]->file_size; });
  for (std::size_t i : inlined) {
    if (total <= media_limits().max_body_bytes) break;
    out[i] = true;
    total -= inline_cost(*local[i]);
  }
  return out;
}

std::vector<Finding> validate_publishable(const Request& request, const Provider& provider,
                                          std::span<const std::optional<MediaInfo>> local, bool can_publish) {
  auto findings = validate(request, provider, local);
  if (!can_publish) return findings;
  auto plan = media_to_publish(request, provider, local);
  std::set<std::string> published;
  std::uint64_t inline_total = base_cost(request);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (plan[i])
      published.insert(request.media[i].source);
    else if (i < local.size() && local[i] && source_kind(request.media[i].source) == SourceKind::local)
      inline_total += inline_cost(*local[i]);
  }
  const bool fits = inline_total <= media_limits().max_body_bytes;
  std::erase_if(findings, [&](const Finding& f) {
    if (f.rule == "request.body_size") return fits;
    return (f.rule == "media.local_video" || f.rule == "provider.data_uri") && published.count(f.path) > 0;
  });
  return findings;
}

PublishedRequest prepare_published(const Request& request, const Provider& provider, Uploader* uploader,
                                   Client* client, bool dry_run) {
  PublishedRequest out;
  out.request = request;
  if (!uploader) {
    out.prepared = prepare(request, provider);
    return out;
  }
  auto local = probe_local_media(request);
  out.prepared.findings = validate_publishable(request, provider, local, true);
  if (!out.prepared.findings.empty()) {
    out.prepared.local = std::move(local);
    return out;
  }
  // Everything that can fail locally has passed: only now is anything sent.
  auto plan = media_to_publish(request, provider, local);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i]) continue;
    auto& item = out.request.media[i];
    MediaKind kind = kind_of(item.role);
    Published p = dry_run ? uploader->locate(item.source, kind, provider) : uploader->publish(item.source, kind, client);
    item.source = p.source;
    out.published.push_back(std::move(p));
  }
  out.prepared = prepare(out.request, provider);
  return out;
}

std::string redact_presigned(std::string text) {
  for (const char* name : {"X-Amz-Signature=", "X-Amz-Credential=", "X-Amz-Security-Token="}) {
    const std::string key = name;
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
      auto start = at + key.size();
      auto end = text.find_first_of("&\"' \t\r\n#", start);
      if (end == std::string::npos) end = text.size();
      text.replace(start, end - start, "***");
    }
  }
  return text;
}

}  // namespace seedreel
