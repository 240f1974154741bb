// Runs fuzz targets' entry points once on each file of the folders given,
// without libFuzzer: the committed crashers and seed corpora become tests in
// any build (the ASan suite in particular).
//   fuzz_replay TARGET DIR_OR_FILE...
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#define SEEDREEL_FUZZ_ENTRY(name) extern "C" int seedreel_fuzz_##name(const std::uint8_t*, std::size_t);
SEEDREEL_FUZZ_ENTRY(isobmff)
SEEDREEL_FUZZ_ENTRY(probe)
SEEDREEL_FUZZ_ENTRY(task_parse)
SEEDREEL_FUZZ_ENTRY(batch_file)
SEEDREEL_FUZZ_ENTRY(request)
SEEDREEL_FUZZ_ENTRY(journal)
SEEDREEL_FUZZ_ENTRY(png_roundtrip)
SEEDREEL_FUZZ_ENTRY(jpeg_scale)

namespace {

using Entry = int (*)(const std::uint8_t*, std::size_t);
struct Target {
  std::string_view name;
  Entry run;
};
constexpr Target kTargets[] = {
    {"isobmff", seedreel_fuzz_isobmff},       {"probe", seedreel_fuzz_probe},
    {"task_parse", seedreel_fuzz_task_parse}, {"batch_file", seedreel_fuzz_batch_file},
    {"request", seedreel_fuzz_request},       {"journal", seedreel_fuzz_journal},
    {"png_roundtrip", seedreel_fuzz_png_roundtrip}, {"jpeg_scale", seedreel_fuzz_jpeg_scale},
};

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::fprintf(stderr, "usage: fuzz_replay TARGET DIR_OR_FILE...\n");
    return 2;
  }
  auto target = std::find_if(std::begin(kTargets), std::end(kTargets), [&](const Target& t) { return t.name == argv[1]; });
  if (target == std::end(kTargets)) {
    std::fprintf(stderr, "fuzz_replay: unknown target %s\n", argv[1]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    std::error_code ec;
    if (fs::is_directory(argv[i], ec)) {
      for (const auto& e : fs::directory_iterator(argv[i]))
        if (e.is_regular_file()) files.push_back(e.path());
    } else if (fs::is_regular_file(argv[i], ec)) {
      files.push_back(argv[i]);
    }  // a target without crashers has no regressions folder
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s\n", f.c_str());
    target->run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("fuzz_replay %s: %zu inputs, no crash\n", argv[1], files.size());
  return 0;
}
