// The two stores: an HTTP PUT to a URL template, and S3 (SigV4-signed PUT
// by libcurl, presigned GET for the provider).
#include <cctype>
#include <ctime>
#include <filesystem>

#include <fmt/format.h>

#include "http/http.hpp"
#include "seedreel/error.hpp"
#include "upload/digest.hpp"
#include "upload/sigv4.hpp"
#include "upload/store.hpp"

namespace seedreel::upload {

namespace fs = std::filesystem;

namespace {

bool is_http(const std::string& url) { return url.starts_with("http://") || url.starts_with("https://"); }

std::string type_of(const std::string& ext) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"mp4", "video/mp4"},   {"mov", "video/quicktime"}, {"png", "image/png"},   {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"}, {"webp", "image/webp"},     {"bmp", "image/bmp"},   {"tif", "image/tiff"},
      {"tiff", "image/tiff"}, {"gif", "image/gif"},       {"wav", "audio/wav"},   {"mp3", "audio/mpeg"}};
  for (const auto& [e, t] : kTypes)
    if (ext == e) return t;
  return "application/octet-stream";
}

std::string fill(std::string text, const Blob& b) {
  auto replace_all = [&](const std::string& key, const std::string& value) {
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
      text.replace(at, key.size(), value);
  };
  replace_all("{sha256}", b.sha256);
  replace_all("{name}", uri_encode(b.name, false));
  replace_all("{ext}", b.ext);
  return text;
}

class PutStore : public Store {
 public:
  PutStore(std::string put, std::string get) : put_(std::move(put)), get_(std::move(get)) {}
  std::string identity() const override { return "put " + http::redact_url(put_); }
  bool content_addressed() const override {
    return put_.find("{sha256}") != std::string::npos &&
           (get_.empty() || get_.find("{sha256}") != std::string::npos);
  }
  std::string read_url(const Blob& b) const override {
    if (!get_.empty()) return fill(get_, b);
    // A presigned PUT's signature is no read permission, and a user:password
    // for the PUT is not the provider's to have.
    std::string url = fill(put_, b);
    url = url.substr(0, url.find('?'));
    auto scheme = url.find("://");
    auto at = url.find('@', scheme);
    if (at != std::string::npos && at < url.find('/', scheme + 3)) url.erase(scheme + 3, at - scheme - 2);
    return url;
  }
  Transfer put(const Blob& b) const override {
    Transfer t;
    t.method = "PUT";
    t.url = fill(put_, b);
    t.file = b.path;
    t.size = b.size;
    t.headers = {"Content-Type: " + b.content_type};
    return t;
  }
  Transfer head(const Blob& b) const override {
    Transfer t;
    t.method = "HEAD";
    t.url = read_url(b);
    return t;
  }

 private:
  std::string put_, get_;
};

class S3Store : public Store {
 public:
  S3Store(std::string bucket, std::string prefix, std::string endpoint, S3Credentials cred, int expires)
      : bucket_(std::move(bucket)), prefix_(std::move(prefix)), endpoint_(std::move(endpoint)),
        cred_(std::move(cred)), expires_(expires) {
    if (cred_.region.empty()) cred_.region = "us-east-1";
    if (endpoint_.empty()) {
      scheme_ = "https";
      host_ = fmt::format("{}.s3.{}.amazonaws.com", bucket_, cred_.region);
    } else {
      // An S3-compatible store: path-style (bucket in the path), as such stores expect.
      auto sep = endpoint_.find("://");
      scheme_ = endpoint_.substr(0, sep);
      std::string rest = endpoint_.substr(sep + 3);
      host_ = rest.substr(0, rest.find('/'));
    }
  }
  std::string identity() const override {
    return fmt::format("s3 {} {}/{}", endpoint_.empty() ? "aws" : endpoint_, bucket_, prefix_);
  }
  bool content_addressed() const override { return true; }
  std::string read_url(const Blob& b) const override {
    PresignRequest r;
    r.scheme = scheme_;
    r.host = host_;
    r.path = path_of(b);
    r.region = cred_.region;
    r.expires = expires_;
    r.now = std::time(nullptr);
    return presign(r, cred_);
  }
  Transfer put(const Blob& b) const override {
    Transfer t = signed_request("PUT", b);
    t.file = b.path;
    t.size = b.size;
    t.headers.push_back("Content-Type: " + b.content_type);
    // The payload's hash, known already: libcurl signs it instead of reading the file twice.
    t.headers.push_back("x-amz-content-sha256: " + b.sha256);
    return t;
  }
  Transfer head(const Blob& b) const override {
    Transfer t = signed_request("HEAD", b);
    t.headers.push_back("x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    return t;
  }
  std::vector<std::string> secrets() const override {
    return {cred_.secret_access_key, cred_.session_token, cred_.access_key_id};
  }

 private:
  std::string key_of(const Blob& b) const {
    std::string name = b.sha256 + (b.ext.empty() ? "" : "." + b.ext);
    return prefix_.empty() ? name : prefix_ + "/" + name;
  }
  std::string path_of(const Blob& b) const {
    return endpoint_.empty() ? "/" + key_of(b) : "/" + bucket_ + "/" + key_of(b);
  }
  Transfer signed_request(const char* method, const Blob& b) const {
    Transfer t;
    t.method = method;
    t.url = fmt::format("{}://{}{}", scheme_, host_, uri_encode(path_of(b), true));
    t.aws_sigv4 = "aws:amz:" + cred_.region + ":s3";
    t.username = cred_.access_key_id;
    t.password = cred_.secret_access_key;
    if (!cred_.session_token.empty()) t.headers.push_back("x-amz-security-token: " + cred_.session_token);
    return t;
  }

  std::string bucket_, prefix_, endpoint_;
  S3Credentials cred_;
  int expires_;
  std::string scheme_, host_;
};

}  // namespace

Blob describe(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(ErrorKind::input, path, "no such file");
  Blob b;
  b.path = path;
  b.name = fs::path(path).filename().string();
  b.ext = fs::path(path).extension().string();
  if (!b.ext.empty()) b.ext.erase(0, 1);
  for (auto& c : b.ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  b.size = fs::file_size(path, ec);
  if (ec) throw Error(ErrorKind::input, path, "cannot read its size");
  b.sha256 = sha256_file_hex(path);
  b.content_type = type_of(b.ext);
  return b;
}

std::unique_ptr<Store> make_put_store(const std::string& put_template, const std::string& get_template) {
  if (!is_http(put_template)) throw Error(ErrorKind::invalid_argument, "", "put: needs an http(s) URL template", "upload");
  if (!get_template.empty() && !is_http(get_template))
    throw Error(ErrorKind::invalid_argument, "", "must be an http(s) URL template", "upload_get");
  std::string put = put_template;
  // A folder: each file under its content's name.
  if (put.ends_with('/')) put += "{sha256}.{ext}";
  return std::make_unique<PutStore>(put, get_template);
}

std::unique_ptr<Store> make_s3_store(const std::string& spec, const UploadSettings& settings) {
  std::string rest = spec.substr(5);  // after "s3://"
  std::string bucket = rest.substr(0, rest.find('/'));
  std::string prefix = rest.size() > bucket.size() ? rest.substr(bucket.size() + 1) : "";
  while (prefix.ends_with('/')) prefix.pop_back();
  if (bucket.empty()) throw Error(ErrorKind::invalid_argument, "", "s3:// needs a bucket: s3://bucket/prefix", "upload");
  std::string endpoint = settings.s3_endpoint;
  while (endpoint.ends_with('/')) endpoint.pop_back();
  if (!endpoint.empty() && !is_http(endpoint))
    throw Error(ErrorKind::invalid_argument, "", "must be an http(s) URL", "s3_endpoint");
  S3Credentials cred = settings.s3_credentials ? *settings.s3_credentials : load_s3_credentials();
  return std::make_unique<S3Store>(bucket, prefix, endpoint, std::move(cred), settings.presign_seconds);
}

}  // namespace seedreel::upload
