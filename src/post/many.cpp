// Folder-scale frames: one process, one video per worker thread. Starting a
// process per clip costs more than a keyframe thumbnail itself.
#include <cctype>
#include <filesystem>
#include <map>
#include <new>

#include "image/vips.hpp"
#include "seedreel/frames.hpp"
#include "util/interrupt.hpp"
#include "util/parallel.hpp"

namespace seedreel {

namespace {

namespace fs = std::filesystem;

template <typename Result, typename Fn>
std::vector<std::variant<Result, Error>> each(const std::vector<std::string>& videos,
                                              const std::vector<std::string>& outs, int jobs, Fn&& fn) {
  if (outs.size() != videos.size())
    throw Error(ErrorKind::invalid_argument, "", "one output per video is needed");
  image::init_vips();
  std::vector<std::variant<Result, Error>> results(videos.size(), Error(ErrorKind::cancelled, "", "not started"));
  parallel_for(videos.size(), jobs, [&](std::size_t i) {
    try {
      results[i] = fn(videos[i], outs[i]);
    } catch (const Error& e) {
      results[i] = e;
    } catch (const std::bad_alloc&) {
      results[i] = Error(ErrorKind::input, videos[i], "out of memory");
    } catch (const std::exception& e) {
      results[i] = Error(ErrorKind::input, videos[i], e.what());
    }
  });
  throw_if_interrupted();
  return results;
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<FrameOutcome> last_frames(const std::vector<std::string>& videos, const std::vector<std::string>& outs,
                                      const LastFrameOptions& options, int jobs) {
  return each<FrameResult>(videos, outs, jobs,
                           [&](const std::string& v, const std::string& o) { return last_frame(v, o, options); });
}

std::vector<FrameOutcome> thumbnails(const std::vector<std::string>& videos, const std::vector<std::string>& outs,
                                     const ThumbOptions& options, int jobs) {
  return each<FrameResult>(videos, outs, jobs,
                           [&](const std::string& v, const std::string& o) { return thumbnail(v, o, options); });
}

std::vector<SheetOutcome> contact_sheets(const std::vector<std::string>& videos, const std::vector<std::string>& outs,
                                         const SheetOptions& options, int jobs) {
  return each<SheetResult>(videos, outs, jobs,
                           [&](const std::string& v, const std::string& o) { return contact_sheet(v, o, options); });
}

std::vector<std::string> outputs_in_folder(const std::vector<std::string>& videos, const std::string& folder,
                                           const std::string& ext) {
  std::map<std::string, int> taken;
  std::vector<std::string> outs;
  for (const auto& v : videos) {
    std::string stem = fs::path(v).stem().string();
    if (stem.empty()) stem = "frame";
    for (int n = 1;; ++n) {
      std::string name = stem + (n == 1 ? "" : "-" + std::to_string(n)) + "." + ext;
      if (taken[lower(name)]++ == 0) {
        outs.push_back((fs::path(folder) / name).string());
        break;
      }
    }
  }
  return outs;
}

}  // namespace seedreel
