// Downloads: GET /files/{token}/{name}, as a presigned object store would serve
// them - no key, single byte ranges (206/416), and 403 once the URL expired.
#include <httplib.h>

#include <fstream>
#include <memory>
#include <regex>

#include "emulator.hpp"

namespace seedance_emu {

namespace {

void s3_error(httplib::Response& res, int status, const char* code, const char* message) {
  res.status = status;
  res.set_content(std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>") + code + "</Code><Message>" +
                      message + "</Message></Error>\n",
                  "application/xml");
}

enum class RangeResult { whole, part, unsatisfiable };

// A single "bytes=a-b", "bytes=a-" or "bytes=-n" against `size`. Like S3, a
// header we do not understand (or several ranges) gets the whole object.
RangeResult parse_range(const std::string& header, std::uint64_t size, std::uint64_t& first, std::uint64_t& last) {
  static const std::regex single(R"(bytes=(\d*)-(\d*))");
  std::smatch m;
  if (!std::regex_match(header, m, single) || (m[1].length() == 0 && m[2].length() == 0)) return RangeResult::whole;
  try {
    if (m[1].length() == 0) {  // suffix: the last n bytes
      std::uint64_t n = std::stoull(m[2]);
      if (n == 0) return RangeResult::unsatisfiable;
      first = n >= size ? 0 : size - n;
      last = size - 1;
      return RangeResult::part;
    }
    first = std::stoull(m[1]);
    last = m[2].length() == 0 ? std::max(first, size - 1) : std::stoull(m[2]);
    if (last < first) return RangeResult::whole;  // syntactically invalid: ignored
    if (first >= size) return RangeResult::unsatisfiable;
    last = std::min(last, size - 1);
    return RangeResult::part;
  } catch (const std::out_of_range&) {
    return RangeResult::unsatisfiable;
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
    auto range =
        req.has_header("Range") ? parse_range(req.get_header_value("Range"), size, first, last) : RangeResult::whole;
    if (range == RangeResult::whole) {
      first = 0;
      last = size - 1;
    } else {
      if (range == RangeResult::unsatisfiable) {
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
