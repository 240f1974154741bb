// The arithmetic of conform: where a picture goes (uniform scale, pad or crop
// into the aspect band, side and pixel limits) and how several files share a
// total duration. Pure functions over numbers, so the tests can pin every edge.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "seedreel/conform.hpp"

namespace seedreel {

namespace {

constexpr double kEps = 1e-9;

int round_px(double v) { return std::max(1, int(std::lround(v))); }
int even_down(double v) { return std::max(2, int(std::floor(v / 2 + kEps)) * 2); }
int even_near(double v) { return std::max(2, int(std::lround(v / 2)) * 2); }
double aspect(Size s) { return double(s.width) / s.height; }

// The canvas aspect moved into the band by growing (pad) or shrinking (crop)
// one side; unchanged when already inside.
Size into_band(Size s, Fit fit, bool& pads, bool& crops) {
  const Range& band = media_limits().aspect;
  double a = aspect(s);
  if (band.contains(a)) return s;
  Size c = s;
  if (fit == Fit::pad) {
    if (a > band.max) c.height = int(std::ceil(s.width / band.max - kEps));
    else c.width = int(std::ceil(s.height * band.min - kEps));
    pads = true;
  } else {
    if (a > band.max) c.width = int(std::floor(s.height * band.max + kEps));
    else c.height = int(std::floor(s.width / band.min + kEps));
    crops = true;
  }
  return c;
}

// After rounding, nudge the side that pad/crop owns back into the band.
void keep_in_band(Size& c, Fit fit) {
  const Range& band = media_limits().aspect;
  for (int i = 0; i < 4 && !band.contains(aspect(c)); ++i) {
    bool wide = aspect(c) > band.max;
    if (fit == Fit::pad) (wide ? c.height : c.width) += 1;
    else (wide ? c.width : c.height) -= 1;
  }
}

// The picture scaled by `k` around a canvas: inside it (pad) or covering it (crop).
Size content_for(Size source, Size canvas, Fit fit) {
  double kw = double(canvas.width) / source.width, kh = double(canvas.height) / source.height;
  double k = fit == Fit::pad ? std::min(kw, kh) : std::max(kw, kh);
  Size c{round_px(source.width * k), round_px(source.height * k)};
  if (fit == Fit::pad) {
    c.width = std::min(c.width, canvas.width);
    c.height = std::min(c.height, canvas.height);
  } else {
    c.width = std::max(c.width, canvas.width);
    c.height = std::max(c.height, canvas.height);
  }
  return c;
}

}  // namespace

Placement place_image(Size source, Fit fit, int max_side) {
  const auto& L = media_limits();
  Placement p;
  Size c = into_band(source, fit, p.pads, p.crops);
  int longest = std::max(c.width, c.height), shortest = std::min(c.width, c.height);
  // A smaller cap than the API's may be asked for (smaller uploads); never under the minimum side.
  double cap = max_side > 0 ? std::clamp(double(max_side), L.image_side.min, L.image_side.max) : L.image_side.max;
  double k = 1;
  if (longest > cap) k = cap / longest;
  else if (shortest < L.image_side.min) k = L.image_side.min / shortest;
  if (k != 1) {
    c = {round_px(c.width * k), round_px(c.height * k)};
    c.width = std::clamp(c.width, int(L.image_side.min), int(cap));
    c.height = std::clamp(c.height, int(L.image_side.min), int(cap));
    keep_in_band(c, fit);
  }
  p.canvas = c;
  p.content = (p.pads || p.crops) ? content_for(source, c, fit) : c;
  p.pads = p.pads && (p.content.width < c.width || p.content.height < c.height);
  p.crops = p.crops && (p.content.width > c.width || p.content.height > c.height);
  return p;
}

Placement place_exact(Size source, Size target, Fit fit) {
  Placement p;
  p.canvas = target;
  p.content = content_for(source, target, fit);
  p.pads = p.content.width < target.width || p.content.height < target.height;
  p.crops = p.content.width > target.width || p.content.height > target.height;
  return p;
}

Placement place_video(Size source, Fit fit) {
  const auto& L = media_limits();
  Placement p;
  Size band = into_band(source, fit, p.pads, p.crops);
  double pixels = double(band.width) * band.height;
  double k = 1;
  if (pixels > L.video_pixels.max) k = std::sqrt(L.video_pixels.max / pixels);
  else if (pixels < L.video_pixels.min) k = std::sqrt(L.video_pixels.min / pixels);
  // Even sides for 4:2:0; step the scale until the rounded size is in the
  // budget, after moving the side pad/crop owns back into the aspect band
  // (even rounding can push an edge aspect just outside it).
  Size c;
  for (int i = 0; i < 400; ++i) {
    c = {even_down(band.width * k), even_down(band.height * k)};
    for (int j = 0; j < 4 && !L.aspect.contains(aspect(c)); ++j) {
      bool wide = aspect(c) > L.aspect.max;
      if (fit == Fit::pad) (wide ? c.height : c.width) += 2;
      else (wide ? c.width : c.height) -= 2;
    }
    double px = double(c.width) * c.height;
    if (px < L.video_pixels.min) k *= 1.001;
    else if (px > L.video_pixels.max) k /= 1.001;
    else break;
  }
  p.canvas = c;
  if (p.pads || p.crops) {
    Size inner = content_for(source, c, fit);
    p.content = {even_near(inner.width), even_near(inner.height)};
    if (fit == Fit::pad) p.content = {std::min(p.content.width, c.width), std::min(p.content.height, c.height)};
    else p.content = {std::max(p.content.width, c.width), std::max(p.content.height, c.height)};
  } else {
    p.content = c;
  }
  p.pads = p.content.width < c.width || p.content.height < c.height;
  p.crops = p.content.width > c.width || p.content.height > c.height;
  return p;
}

std::vector<double> share_duration(const std::vector<double>& durations, double total, Range each,
                                   TotalBudget policy) {
  const std::size_t n = durations.size();
  // What each file lasts after the per-file rule alone: short ones are extended to the minimum.
  std::vector<double> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = std::clamp(durations[i], each.min, each.max);
  double sum = std::accumulate(want.begin(), want.end(), 0.0);
  if (sum <= total + kEps) return want;

  std::vector<double> share(n);
  if (policy == TotalBudget::proportional) {
    // Scale all by one factor; a file that would drop under the minimum is pinned there
    // and the others share what is left.
    std::vector<bool> pinned(n, false);
    for (std::size_t round = 0; round <= n; ++round) {
      double fixed = 0, free = 0;
      for (std::size_t i = 0; i < n; ++i) (pinned[i] ? fixed : free) += pinned[i] ? each.min : want[i];
      double f = free > 0 ? std::max(0.0, total - fixed) / free : 0;
      bool again = false;
      for (std::size_t i = 0; i < n; ++i) {
        share[i] = pinned[i] ? each.min : want[i] * f;
        if (!pinned[i] && share[i] < each.min) pinned[i] = again = true;
      }
      if (!again) break;
    }
  } else {
    // The same first N seconds of each: find N with sum(min(want, N)) == total.
    double lo = each.min, hi = each.max;
    for (int i = 0; i < 60; ++i) {
      double mid = (lo + hi) / 2, s = 0;
      for (double w : want) s += std::min(w, mid);
      (s > total ? hi : lo) = mid;
    }
    for (std::size_t i = 0; i < n; ++i) share[i] = std::min(want[i], lo);
  }
  // Whole milliseconds, rounded down, so the rounded shares never exceed the total.
  for (auto& s : share) s = std::max(each.min, std::floor(s * 1000 + kEps) / 1000);
  return share;
}

std::optional<Fit> parse_fit(std::string_view text) {
  if (text == "pad") return Fit::pad;
  if (text == "crop") return Fit::crop;
  return std::nullopt;
}

std::optional<TotalBudget> parse_total_budget(std::string_view text) {
  if (text == "proportional") return TotalBudget::proportional;
  if (text == "first-n") return TotalBudget::first_n;
  return std::nullopt;
}

std::optional<PadFill> parse_pad_fill(std::string_view text) {
  PadFill f;
  if (text == "blur") {
    f.blur = true;
    return f;
  }
  if (text == "black") return f;
  if (text == "white") return PadFill{false, {255, 255, 255}};
  if (text == "grey" || text == "gray") return PadFill{false, {128, 128, 128}};
  if (!text.empty() && text.front() == '#') text.remove_prefix(1);
  if (text.size() != 6 || !std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  for (int i = 0; i < 3; ++i) f.rgb[i] = std::uint8_t(std::stoi(std::string(text.substr(i * 2, 2)), nullptr, 16));
  return f;
}

const char* to_string(Action action) noexcept {
  switch (action) {
    case Action::unchanged: return "unchanged";
    case Action::remuxed: return "remuxed";
    case Action::reencoded: return "re-encoded";
    case Action::rewritten: return "rewritten";
  }
  return "unknown";
}

}  // namespace seedreel
