#pragma once
// Where published files go: an HTTP store taking PUTs (presigned URLs,
// WebDAV, any server), or an S3 bucket. A store says which requests to make;
// the Uploader makes them, with retries.
#include <cstdint>
#include <memory>
#include <string>

#include "seedreel/upload.hpp"
#include "upload/transfer.hpp"

namespace seedreel::upload {

// One local file as the stores see it.
struct Blob {
  std::string path;
  std::string name;  // file name
  std::string ext;   // extension without the dot, lower case ("mp4"); "" when none
  std::string sha256;
  std::uint64_t size = 0;
  std::string content_type;
};
Blob describe(const std::string& path);

class Store {
 public:
  virtual ~Store() = default;
  // Names the store for the caches and messages (no credentials in it).
  virtual std::string identity() const = 0;
  // True when the file's place is named by its content, so finding it there proves it is the same file.
  virtual bool content_addressed() const = 0;
  // What the provider is given (for S3: presigned, expiring).
  virtual std::string read_url(const Blob& blob) const = 0;
  virtual Transfer put(const Blob& blob) const = 0;
  virtual Transfer head(const Blob& blob) const = 0;
  // Texts that must never be shown (the secret, the key id, the token).
  virtual std::vector<std::string> secrets() const { return {}; }
};

// "put:TEMPLATE" (without the "put:") and the GET template ("" = the PUT URL
// without its query). Error(invalid_argument) unless both are http(s).
std::unique_ptr<Store> make_put_store(const std::string& put_template, const std::string& get_template);
// "s3://bucket/prefix". Credentials are loaded when not given.
std::unique_ptr<Store> make_s3_store(const std::string& spec, const UploadSettings& settings);

}  // namespace seedreel::upload
