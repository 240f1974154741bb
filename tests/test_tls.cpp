// TLS is verified by default: an HTTPS server on loopback with a self-signed
// certificate (openssl s_server, a real TLS stack) is refused, and trusted
// only when its certificate is named with --ca-file / SEEDREEL_CA_FILE.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support.hpp"

using namespace seedreel::test;
namespace fs = std::filesystem;

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t n = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  ::close(s);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

// `openssl s_server -WWW` serving the files of `root` over HTTPS.
struct TlsServer {
  TlsServer(const std::string& root, const std::string& cert, const std::string& key) : port(free_port()) {
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      if (::chdir(root.c_str()) != 0) _exit(127);
      std::string accept = "127.0.0.1:" + std::to_string(port);
      execlp("openssl", "openssl", "s_server", "-quiet", "-accept", accept.c_str(), "-cert", cert.c_str(), "-key",
             key.c_str(), "-WWW", static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 200 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    REQUIRE(accepts(port));
  }
  ~TlsServer() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
  int port;
  pid_t pid;
};

}  // namespace

TEST_CASE("a self-signed HTTPS server is refused, and trusted only with --ca-file") {
  auto dir = temp_dir("tls");
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  Run made = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                  "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert});
  REQUIRE_MESSAGE(made.status == 0, made.err);
  // The task an Ark status call reads, as a file the server hands out.
  fs::create_directories(dir + "/www/contents/generations/tasks");
  std::ofstream(dir + "/www/contents/generations/tasks/cgt-tls-1")
      << R"({"id":"cgt-tls-1","model":"doubao-seedance-2-0-260128","status":"running","created_at":1,"updated_at":2})";
  TlsServer server(dir + "/www", cert, key);
  const std::string base = "https://127.0.0.1:" + std::to_string(server.port);
  auto status = [&](std::vector<std::string> extra, std::vector<std::string> env = {}) {
    std::vector<std::string> argv{"env", "-u", "SEEDREEL_CA_FILE", "HOME=" + dir, "SEEDREEL_API_KEY=tls-test-key",
                                  "SEEDREEL_JOURNAL=" + dir + "/journal.db", "SEEDREEL_RETRY_BASE=0.01"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {program("seedreel"), "status", "cgt-tls-1", "--provider", "ark-intl", "--base-url", base,
                             "--retries", "0", "--json"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv);
  };
  Run refused = status({});
  CHECK(refused.status != 0);
  CHECK_MESSAGE(refused.err.find("certificate") != std::string::npos, refused.err);
  CHECK(refused.out.find("running") == std::string::npos);

  Run trusted = status({"--ca-file", cert});
  CHECK_MESSAGE(trusted.status == 0, trusted.err);
  CHECK(trusted.out.find("running") != std::string::npos);
  Run by_env = status({}, {"SEEDREEL_CA_FILE=" + cert});
  CHECK_MESSAGE(by_env.status == 0, by_env.err);

  // Another CA does not vouch for this server.
  const std::string other = dir + "/other.pem";
  REQUIRE(run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
               "-keyout", dir + "/other-key.pem", "-out", other})
              .status == 0);
  CHECK(status({"--ca-file", other}).status != 0);
  // A CA file that is not there is a usage error, before anything is sent.
  CHECK(status({"--ca-file", dir + "/missing.pem"}).status == 2);
}
