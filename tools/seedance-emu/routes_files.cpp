// Downloads: GET /files/{token}/{name}, as a presigned object store would serve
// them - no key, single byte ranges (206/416), and 403 once the URL expired.
#include <httplib.h>

#include <fstream>
#include <memory>

#include "emulator.hpp"

namespace seedance_emu {

namespace {

void s3_error(httplib::Response& res, int status, const char* code, const char* message) {
  res.status = status;
  res.set_content(std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>") + code +
                      "</Code><Message>" + message + "</Message></Error>\n",
                  "application/xml");
}

// Parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" against `size`.
// Returns false for a syntactically valid but unsatisfiable range.
bool parse_range(const std::string& header, std::uint64_t size, std::uint64_t& first, std::uint64_t& last) {
  if (!header.starts_with("bytes=") || header.find(',') != std::string::npos) return false;
  std::string spec = header.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string::npos) return false;
  try {
    std::string a = spec.substr(0, dash), b = spec.substr(dash + 1);
    if (a.empty()) {  // suffix: the last n bytes
      std::uint64_t n = std::stoull(b);
      if (n == 0 || size == 0) return false;
      first = n >= size ? 0 : size - n;
      last = size - 1;
      return true;
    }
    first = std::stoull(a);
    last = b.empty() ? size - 1 : std::min<std::uint64_t>(std::stoull(b), size - 1);
    return first < size && first <= last;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void add_file_routes(Emulator& emu) {
  emu.api("GET", R"(/files/([0-9a-f]+)/[^/]+)", [&emu](const httplib::Request& req, httplib::Response& res) {
    bool drop = take_drop_fault();
    // httplib 0.11 re-slices every answer to a request that had a Range header
    // (and mangles 416s); we serve the range ourselves, so drop its parse. The
    // Request object is httplib's own non-const one, handed to us as const.
    const_cast<httplib::Request&>(req).ranges.clear();
    auto d = emu.tasks().download(req.matches[1]);
    if (!d) return s3_error(res, 404, "NoSuchKey", "The specified key does not exist.");
    if (d->expired) return s3_error(res, 403, "AccessDenied", "Request has expired");
    std::error_code ec;
    std::uint64_t size = std::filesystem::file_size(d->path, ec);
    if (ec || size == 0) return s3_error(res, 404, "NoSuchKey", "The specified key does not exist.");

    std::uint64_t first = 0, last = size - 1;
    res.status = 200;
    if (req.has_header("Range")) {
      if (!parse_range(req.get_header_value("Range"), size, first, last)) {
        res.set_header("Content-Range", "bytes */" + std::to_string(size));
        return s3_error(res, 416, "InvalidRange", "The requested range is not satisfiable");
      }
      res.status = 206;
      res.set_header("Content-Range",
                     "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(size));
    }
    res.set_header("Accept-Ranges", "bytes");
    std::uint64_t length = last - first + 1;
    std::uint64_t stop = drop ? first + length / 2 : last + 1;  // a dropped connection ends halfway
    auto file = std::make_shared<std::ifstream>(d->path, std::ios::binary);
    res.set_content_provider(length, d->content_type,
                             [file, first, stop](size_t offset, size_t, httplib::DataSink& sink) {
                               std::uint64_t pos = first + offset;
                               if (pos >= stop) return false;  // closes the connection
                               char buf[64 * 1024];
                               file->seekg(std::streamoff(pos));
                               auto want = std::min<std::uint64_t>(sizeof buf, stop - pos);
                               file->read(buf, std::streamsize(want));
                               auto got = file->gcount();
                               if (got <= 0) return false;
                               return sink.write(buf, std::size_t(got));
                             });
  });
}

}  // namespace seedance_emu
