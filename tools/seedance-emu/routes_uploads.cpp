// An upload target on loopback: PUT /uploads/{name} stores the body, GET
// serves it back. The API takes a reference video only as a URL or asset,
// never inline, so a local video has to be put somewhere the provider can
// read first; this stands in for that bucket (an S3 or WebDAV PUT) in tests
// and the offline demo. No key: like a presigned URL.
#include <httplib.h>

#include <fstream>

#include "emulator.hpp"
#include "fetch.hpp"

namespace seedance_emu {

void add_upload_routes(Emulator& emu) {
  auto folder = emu.options().data_dir / "uploads";
  static const char* pattern = R"(/uploads/([A-Za-z0-9._-]+))";
  emu.server().Put(pattern, [folder](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.matches[1];
    if (name.starts_with(".")) {
      res.status = 400;
      return;
    }
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    auto temp = folder / ("." + name + ".part");
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out.write(req.body.data(), std::streamsize(req.body.size()));
      if (!out.flush()) {
        res.status = 500;
        return;
      }
    }
    std::filesystem::rename(temp, folder / name, ec);
    res.status = ec ? 500 : 200;
  });
  emu.server().Get(pattern, [folder](const httplib::Request& req, httplib::Response& res) {
    std::ifstream in(folder / std::string(req.matches[1]), std::ios::binary);
    if (!in) {
      res.status = 404;
      return;
    }
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    res.set_content(body, "video/mp4");
  });
  // What the emulator fetched of the media URLs it was given (fetch.hpp).
  emu.server().Get("/_emu/fetches", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(fetch_log().dump(), "application/json");
  });
}

}  // namespace seedance_emu
