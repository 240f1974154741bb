#include "upload/digest.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "seedreel/error.hpp"
#include "util/unique_fd.hpp"

namespace seedreel::upload {

namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

MdCtx sha256_context() {
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ErrorKind::io, "", "OpenSSL cannot start a SHA-256 digest");
  return ctx;
}

std::string finish(EVP_MD_CTX* ctx) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, md, &n) != 1) throw Error(ErrorKind::io, "", "OpenSSL cannot finish a SHA-256 digest");
  return to_hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

}  // namespace

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  MdCtx ctx = sha256_context();
  if (EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1) throw Error(ErrorKind::io, "", "SHA-256 failed");
  return finish(ctx.get());
}

std::string sha256_file_hex(const std::string& path) {
  UniqueFile f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(ErrorKind::input, path, "cannot open");
  MdCtx ctx = sha256_context();
  std::vector<char> block(1 << 20);
  for (;;) {
    std::size_t n = std::fread(block.data(), 1, block.size(), f.get());
    if (n > 0 && EVP_DigestUpdate(ctx.get(), block.data(), n) != 1) throw Error(ErrorKind::io, path, "SHA-256 failed");
    if (n < block.size()) break;
  }
  if (std::ferror(f.get())) throw Error(ErrorKind::input, path, "read failed");
  return finish(ctx.get());
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  // The one-shot HMAC() holds no state to free.
  if (!HMAC(EVP_sha256(), key.data(), int(key.size()), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
            out, &n))
    throw Error(ErrorKind::io, "", "OpenSSL cannot compute an HMAC-SHA256");
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace seedreel::upload
