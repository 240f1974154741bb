// Local files for every role, through real stores on loopback: Debian's nginx
// with its WebDAV module (put:) and s3rver behind a full SigV4 check
// (tests/s3/s3rver-sigv4.js; s3://). Each store test proves that the
// emulator fetched the uploaded bytes by the URL it was given (same SHA-256),
// that a second run uploads nothing (PUTs counted in the store's own log),
// and that a wrong secret fails with a clear message, no secret shown and
// nothing paid for.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "emulator_harness.hpp"
#include "http/http.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/upload.hpp"
#include "seedreel/workflow.hpp"
#include "upload/digest.hpp"
#include "upload/sigv4.hpp"

using namespace seedreel::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const std::string kKey = "upload-test-key-5d1e9a";

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t n = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &n);
  close(s);
  return ntohs(a.sin_port);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A server process of the test's own, output to a log file, stopped (SIGTERM) when the test ends.
class Server {
 public:
  Server(std::vector<std::string> argv, std::string log, std::vector<std::string> env = {}) : log_(std::move(log)) {
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      for (auto& e : env) putenv(e.data());
      std::vector<char*> a;
      for (auto& s : argv) a.push_back(s.data());
      a.push_back(nullptr);
      execvp(a[0], a.data());
      _exit(127);
    }
  }
  ~Server() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Polls until `url` answers at all (any status), for up to 60 s.
  void wait_for(const std::string& url) const {
    for (int i = 0; i < 600; ++i) {
      HttpRequest rq("GET", url);
      rq.timeout_ms = 2000;
      if (http(rq).status > 0) return;
      int status = 0;
      REQUIRE_MESSAGE(waitpid(pid_, &status, WNOHANG) == 0, "the server exited: ", slurp(log_));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("the server did not start: ", slurp(log_));
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

bool on_path(const std::string& program) {
  return run({"sh", "-c", "command -v " + program}).status == 0;
}

// nginx with WebDAV PUT: /dav/ open, /private/ behind a password, /files/ reading /dav/'s files.
struct Nginx {
  explicit Nginx(const std::string& dir) : root(dir), port(free_port()), base("http://127.0.0.1:" + std::to_string(port)) {
    REQUIRE_MESSAGE(on_path("nginx"), "nginx is missing: run tools/install-deps");
    fs::create_directories(dir + "/www/dav");
    fs::create_directories(dir + "/www/private");
    std::ofstream(dir + "/htpasswd") << "seedreel:{PLAIN}right-horse-battery\n";
    std::ofstream conf(dir + "/nginx.conf");
    // Run as root (CI), the workers would drop to a user that cannot write the folder.
    if (geteuid() == 0) conf << "user root root;\n";
    conf << "worker_processes 1;\nerror_log " << dir << "/error.log;\npid " << dir << "/nginx.pid;\n"
         << "events { worker_connections 64; }\n"
         << "http {\n  access_log " << dir << "/access.log;\n"
         << "  client_body_temp_path " << dir << "/body;\n  proxy_temp_path " << dir << "/proxy;\n"
         << "  fastcgi_temp_path " << dir << "/fastcgi;\n  uwsgi_temp_path " << dir << "/uwsgi;\n"
         << "  scgi_temp_path " << dir << "/scgi;\n  client_max_body_size 100m;\n"
         << "  server {\n    listen 127.0.0.1:" << port << ";\n    root " << dir << "/www;\n"
         << "    location /dav/ { dav_methods PUT; create_full_put_path on; }\n"
         << "    location /private/ { dav_methods PUT; create_full_put_path on; auth_basic uploads; auth_basic_user_file "
         << dir << "/htpasswd; }\n"
         << "    location /files/ { alias " << dir << "/www/dav/; }\n  }\n}\n";
    conf.close();
    server = std::make_unique<Server>(
        std::vector<std::string>{"nginx", "-p", dir, "-c", dir + "/nginx.conf", "-g", "daemon off;"}, dir + "/nginx.out");
    server->wait_for(base + "/");
  }
  int puts() const { return count(slurp(root + "/access.log"), "\"PUT "); }
  std::string root;
  int port;
  std::string base;
  std::unique_ptr<Server> server;
};

// s3rver with the full SigV4 check; key pair S3RVER / S3RVER, bucket "media".
struct S3 {
  explicit S3(const std::string& dir) : root(dir), port(free_port()), endpoint("http://127.0.0.1:" + std::to_string(port)) {
    REQUIRE_MESSAGE(on_path("node"), "nodejs is missing: run tools/install-deps");
    fs::create_directories(dir);
    Run npm = run({"npm", "root", "-g"});
    std::string modules = npm.out.substr(0, npm.out.find('\n'));
    REQUIRE_MESSAGE(fs::exists(modules + "/s3rver"), "s3rver is missing: run tools/install-deps");
    server = std::make_unique<Server>(
        std::vector<std::string>{"node", std::string(SEEDREEL_SOURCE_DIR) + "/tests/s3/s3rver-sigv4.js", dir + "/data",
                                 std::to_string(port), "media"},
        dir + "/s3rver.log", std::vector<std::string>{"NODE_PATH=" + modules});
    server->wait_for(endpoint + "/");
  }
  std::string log() const { return slurp(root + "/s3rver.log"); }
  int puts() const { return count(log(), "request PUT "); }
  std::string root;
  int port;
  std::string endpoint;
  std::unique_ptr<Server> server;
};

// The CLI against the emulator with extra environment (AWS_*), and nothing
// of the machine's own upload or AWS settings.
struct Session : CliSession {
  explicit Session(const std::string& tag) : CliSession(kKey, tag) {}
  Run cli_env(const std::vector<std::string>& args, const std::vector<std::string>& env) const {
    auto a = argv(args);
    auto at = std::find(a.begin(), a.end(), program("seedreel"));
    std::vector<std::string> extra{"-u", "SEEDREEL_UPLOAD", "-u", "AWS_PROFILE", "-u", "AWS_ACCESS_KEY_ID",
                                   "-u", "AWS_SECRET_ACCESS_KEY", "-u", "AWS_SESSION_TOKEN", "-u", "AWS_ENDPOINT_URL"};
    a.insert(a.begin() + 1, extra.begin(), extra.end());
    at = std::find(a.begin(), a.end(), program("seedreel"));
    a.insert(at, env.begin(), env.end());
    Run r = run(a);
    CHECK(r.out.find(key) == std::string::npos);
    CHECK(r.err.find(key) == std::string::npos);
    return r;
  }
  json fetches() const { return emu.get("/_emu/fetches").json(); }
  // The logged POSTs to exactly this path.
  std::vector<json> creates(const std::string& path = "/v1/video/generations") const {
    std::vector<json> out;
    for (auto& r : emu.requests("POST", path))
      if (r.value("path", "") == path) out.push_back(r);
    return out;
  }
};

const std::vector<std::string> kAws{"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=S3RVER", "AWS_REGION=us-east-1"};

void make(const std::vector<std::string>& ffmpeg_args) {
  std::vector<std::string> a{"ffmpeg", "-v", "error", "-y"};
  a.insert(a.end(), ffmpeg_args.begin(), ffmpeg_args.end());
  Run r = run(a);
  REQUIRE_MESSAGE(r.status == 0, r.err);
}

// A reference video the API takes: 3 s, 24 fps, 854x480.
std::string make_video(const std::string& dir) {
  std::string out = dir + "/ref.mp4";
  make({"-f", "lavfi", "-i", "testsrc2=size=854x480:rate=24", "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p", out});
  return out;
}

std::string make_image(const std::string& dir) {
  std::string out = dir + "/first.png";
  make({"-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1", out});
  return out;
}

// The emulator's fetches of `sha256`, with HTTP 200.
std::vector<json> fetched(const json& fetches, const std::string& sha256) {
  std::vector<json> out;
  for (const auto& f : fetches)
    if (f.value("sha256", "") == sha256 && f.value("status", 0) == 200) out.push_back(f);
  return out;
}

// The first media URL of a create body, whatever the dialect.
std::string media_url(const json& body) {
  if (body.contains("content"))
    for (const auto& c : body["content"])
      for (const char* k : {"image_url", "video_url", "audio_url"})
        if (c.contains(k)) return c[k]["url"];
  for (const char* k : {"first_image"})
    if (body.contains(k)) return body[k];
  return "";
}

}  // namespace

TEST_CASE("presigning matches AWS's published example, and secrets are masked") {
  // The example of "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)".
  seedreel::upload::PresignRequest r;
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = "/test.txt";
  r.expires = 86400;
  r.now = 1369353600;  // 2013-05-24T00:00:00Z
  seedreel::S3Credentials c{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "us-east-1"};
  std::string url = seedreel::upload::presign(r, c);
  CHECK(url.ends_with("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"));
  CHECK(url.find("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request") != std::string::npos);
  c.session_token = "token/with+chars";
  CHECK(seedreel::upload::presign(r, c).find("X-Amz-Security-Token=token%2Fwith%2Bchars") != std::string::npos);

  std::string shown = seedreel::redact_presigned(url);
  CHECK(shown.find("aeeed9bb") == std::string::npos);
  CHECK(shown.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
  CHECK(shown.find("X-Amz-Signature=***") != std::string::npos);
  CHECK(seedreel::http::redact_url(url) == "https://examplebucket.s3.amazonaws.com/test.txt?…");
  CHECK(seedreel::http::redact_url("http://user:pw@127.0.0.1:8/dav/a.mp4") == "http://***@127.0.0.1:8/dav/a.mp4");
  CHECK(seedreel::upload::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("which local files are published: videos, anything for a URL-only dialect, and what would pass the body cap") {
  using namespace seedreel;
  Request r;
  r.prompt = "@image1 and @video1";
  r.media = {{"a.png", Role::reference_image}, {"b.mp4", Role::reference_video}, {"https://x/y.png", Role::reference_image}};
  MediaInfo small, video;
  small.kind = MediaKind::image;
  small.file_size = 1000;
  video.kind = MediaKind::video;
  video.file_size = 1000;
  std::vector<std::optional<MediaInfo>> local{small, video, std::nullopt};
  auto gateway = resolve_provider("anyfast", "");
  CHECK(media_to_publish(r, gateway, local) == std::vector<bool>{false, true, false});
  auto flat = resolve_provider("xingchaoyiqing", "");
  CHECK(media_to_publish(r, flat, local) == std::vector<bool>{true, true, false});
  // Two 29 MB images inline would pass 64 MB once in base64: the larger goes out, the smaller stays.
  MediaInfo big = small, bigger = small;
  big.file_size = 29'000'000;
  bigger.file_size = 29'500'000;
  r.media = {{"a.png", Role::reference_image}, {"b.png", Role::reference_image}};
  r.prompt = "@image1 @image2";
  std::vector<std::optional<MediaInfo>> two{big, bigger};
  CHECK(media_to_publish(r, gateway, two) == std::vector<bool>{false, true});
}

TEST_CASE("put: a local reference video through nginx WebDAV, uploaded once") {
  Session s("upload-put");
  Nginx nginx(s.work + "/nginx");
  std::string video = make_video(s.work);
  std::string sha = seedreel::upload::sha256_file_hex(video);
  std::string upload = "put:" + nginx.base + "/dav/{sha256}.{ext}";

  // Without --upload: refused before anything is sent, saying how.
  Run refused = s.cli_env({"generate", "--prompt", "@video1 walks on", "--ref-video", video, "-o", s.work + "/no.mp4"}, {});
  CHECK(refused.status == 1);
  CHECK(refused.out.find("--upload") != std::string::npos);
  CHECK(s.creates().empty());

  Run first = s.cli_env({"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload", upload, "-o",
                         s.work + "/a.mp4"},
                        {});
  REQUIRE_MESSAGE(first.status == 0, first.err);
  CHECK(nginx.puts() == 1);
  auto creates = s.creates();
  REQUIRE(creates.size() == 1);
  std::string url = media_url(creates[0]["body"]);
  CHECK(url == nginx.base + "/dav/" + sha + ".mp4");
  // The provider (the emulator) read the very bytes of the file from that URL.
  auto got = fetched(s.fetches(), sha);
  REQUIRE(got.size() == 1);
  CHECK(got[0]["url"] == url);
  CHECK(slurp(nginx.root + "/www/dav/" + sha + ".mp4") == slurp(video));

  // A second run (another output) finds the file there and uploads nothing.
  Run second = s.cli_env({"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload", upload, "-o",
                          s.work + "/b.mp4"},
                         {});
  REQUIRE_MESSAGE(second.status == 0, second.err);
  CHECK(nginx.puts() == 1);
  CHECK(count(slurp(nginx.root + "/access.log"), "\"HEAD ") >= 2);
  CHECK(fetched(s.fetches(), sha).size() == 2);
  CHECK(second.err.find("already there") != std::string::npos);

  // The library's put_publisher (a folder gets the file's name) goes through the same uploader.
  auto publish = seedreel::put_publisher(nginx.base + "/dav/tails/");
  CHECK(publish(video) == nginx.base + "/dav/tails/ref.mp4");
  CHECK(slurp(nginx.root + "/www/dav/tails/ref.mp4") == slurp(video));
}

TEST_CASE("put: a local first frame reaches the URL-only flat dialect, read back through --upload-get") {
  Session s("upload-flat");
  Nginx nginx(s.work + "/nginx");
  std::string image = make_image(s.work);
  std::string sha = seedreel::upload::sha256_file_hex(image);
  Run r = s.cli_env({"generate", "--provider", "xingchaoyiqing", "--prompt", "the bars slide", "--first-frame", image,
                     "--upload", "put:" + nginx.base + "/dav/", "--upload-get", nginx.base + "/files/{sha256}.{ext}",
                     "-o", s.work + "/flat.mp4"},
                    {});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto creates = s.creates("/v1/kyyvideo2/videos");
  REQUIRE(creates.size() == 1);
  CHECK(creates[0]["body"]["first_image"] == nginx.base + "/files/" + sha + ".png");
  CHECK(fetched(s.fetches(), sha).size() == 1);
  CHECK(nginx.puts() == 1);
}

TEST_CASE("put: a wrong password fails clearly, shows no password, and pays for nothing") {
  Session s("upload-auth");
  Nginx nginx(s.work + "/nginx");
  std::string video = make_video(s.work);
  std::string host = nginx.base.substr(7);
  Run wrong = s.cli_env({"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload",
                         "put:http://seedreel:wrong-horse-battery@" + host + "/private/{sha256}.{ext}", "-o",
                         s.work + "/a.mp4"},
                        {});
  CHECK(wrong.status == 4);
  CHECK(wrong.err.find("HTTP 401") != std::string::npos);
  CHECK(wrong.err.find("credentials") != std::string::npos);
  CHECK(wrong.err.find("wrong-horse") == std::string::npos);
  CHECK(s.creates().empty());

  Run right = s.cli_env({"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload",
                         "put:http://seedreel:right-horse-battery@" + host + "/private/{sha256}.{ext}", "--upload-get",
                         nginx.base + "/nope/{sha256}.{ext}", "-o", s.work + "/b.mp4"},
                        {});
  // The upload went through, and the provider could not read it back: its refusal is the API's error.
  CHECK(right.status == 4);
  CHECK(right.err.find("right-horse") == std::string::npos);
  CHECK(right.err.find("cannot fetch") != std::string::npos);
  CHECK(nginx.puts() == 2);
}

TEST_CASE("s3: a local video through a SigV4-checking S3 store, the provider reading a presigned GET") {
  Session s("upload-s3");
  S3 s3(s.work + "/s3");
  std::string video = make_video(s.work);
  std::string sha = seedreel::upload::sha256_file_hex(video);
  std::vector<std::string> args{"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload",
                                "s3://media/refs", "--s3-endpoint", s3.endpoint};

  // The dry run shows the exact body with the signature and credential masked, and sends nothing.
  auto dry_args = args;
  dry_args.insert(dry_args.end(), {"--dry-run"});
  Run dry = s.cli_env(dry_args, kAws);
  REQUIRE_MESSAGE(dry.status == 0, dry.err);
  CHECK(dry.out.find("/media/refs/" + sha + ".mp4?") != std::string::npos);
  CHECK(dry.out.find("X-Amz-Signature=***") != std::string::npos);
  CHECK(dry.out.find("S3RVER%2F") == std::string::npos);
  CHECK(s3.puts() == 0);

  auto run_args = args;
  run_args.insert(run_args.end(), {"-o", s.work + "/a.mp4"});
  Run first = s.cli_env(run_args, kAws);
  REQUIRE_MESSAGE(first.status == 0, first.err);
  CHECK(s3.puts() == 1);
  CHECK(count(s3.log(), "sigv4=bad") == 0);
  auto got = fetched(s.fetches(), sha);
  REQUIRE(got.size() == 1);
  CHECK(got[0]["presigned"] == true);
  CHECK(got[0]["url"] == s3.endpoint + "/media/refs/" + sha + ".mp4?…");
  CHECK(count(s3.log(), "request GET /media/refs/" + sha + ".mp4 sigv4=good") == 1);
  // No signature or secret in the journal, the upload cache or anything printed.
  for (const auto& file : {s.work + "/journal.db", s.work + "/uploads.db"}) {
    std::string bytes = slurp(file);
    CHECK(bytes.find("X-Amz-Signature") == std::string::npos);
    CHECK(bytes.find("S3RVER") == std::string::npos);
  }
  struct stat st{};
  REQUIRE(stat((s.work + "/uploads.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(first.err.find("X-Amz-Signature=") == std::string::npos);

  auto again = args;
  again.insert(again.end(), {"-o", s.work + "/b.mp4"});
  Run second = s.cli_env(again, kAws);
  REQUIRE_MESSAGE(second.status == 0, second.err);
  CHECK(s3.puts() == 1);  // HEAD found it: nothing uploaded
  CHECK(fetched(s.fetches(), sha).size() == 2);
}

TEST_CASE("s3: a wrong secret or key id fails with the store's reason, no secret shown, nothing paid for") {
  Session s("upload-s3-wrong");
  S3 s3(s.work + "/s3");
  std::string video = make_video(s.work);
  std::vector<std::string> args{"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload",
                                "s3://media/refs", "--s3-endpoint", s3.endpoint, "-o", s.work + "/a.mp4"};
  Run wrong_secret = s.cli_env(args, {"AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=not-the-secret-9f2"});
  CHECK(wrong_secret.status == 4);
  CHECK(wrong_secret.err.find("SignatureDoesNotMatch") != std::string::npos);
  CHECK(wrong_secret.err.find("AWS_SECRET_ACCESS_KEY") != std::string::npos);
  CHECK(wrong_secret.err.find("not-the-secret") == std::string::npos);

  Run wrong_key = s.cli_env(args, {"AWS_ACCESS_KEY_ID=NOT-A-KEY-7c1", "AWS_SECRET_ACCESS_KEY=S3RVER"});
  CHECK(wrong_key.status == 4);
  CHECK(wrong_key.err.find("InvalidAccessKeyId") != std::string::npos);
  CHECK(wrong_key.err.find("NOT-A-KEY-7c1") == std::string::npos);

  Run none = s.cli_env(args, {"HOME=" + s.work + "/nohome"});
  CHECK(none.status == 2);
  CHECK(none.err.find("no S3 credentials") != std::string::npos);
  CHECK(s.creates().empty());
  CHECK(s3.puts() == 2);  // the two refused PUTs; nothing stored
}

TEST_CASE("s3: credentials from a ~/.aws/credentials profile") {
  Session s("upload-s3-profile");
  S3 s3(s.work + "/s3");
  std::string image = make_image(s.work);
  fs::create_directories(s.work + "/.aws");
  std::ofstream(s.work + "/.aws/credentials") << "[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n"
                                                 "[media]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n";
  std::ofstream(s.work + "/.aws/config") << "[profile media]\nregion = eu-west-3\n";
  Run r = s.cli_env({"generate", "--provider", "xingchaoyiqing", "--prompt", "the bars slide", "--first-frame", image,
                     "--upload", "s3://media", "-o", s.work + "/a.mp4"},
                    {"AWS_PROFILE=media", "AWS_ENDPOINT_URL=" + s3.endpoint});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(fetched(s.fetches(), seedreel::upload::sha256_file_hex(image)).size() == 1);
  CHECK(s3.log().find("sigv4=bad") == std::string::npos);
}

TEST_CASE("asset: uploaded to the store, made a provider asset once, sent as asset://") {
  Session s("upload-asset");
  S3 s3(s.work + "/s3");
  std::string video = make_video(s.work);
  std::string sha = seedreel::upload::sha256_file_hex(video);
  std::vector<std::string> args{"generate", "--prompt", "@video1 walks on", "--ref-video", video, "--upload",
                                "asset:s3://media/assets", "--s3-endpoint", s3.endpoint};
  auto a = args;
  a.insert(a.end(), {"-o", s.work + "/a.mp4"});
  Run first = s.cli_env(a, kAws);
  REQUIRE_MESSAGE(first.status == 0, first.err);
  auto assets = s.creates("/volc/asset/CreateAsset");
  REQUIRE(assets.size() == 1);
  CHECK(assets[0]["body"]["AssetType"] == "Video");
  CHECK(s.creates("/volc/asset/CreateAssetGroup").size() == 1);
  std::string url = media_url(s.creates()[0]["body"]);
  CHECK(url.rfind("asset://asset-", 0) == 0);
  CHECK(fetched(s.fetches(), sha).size() == 1);  // the provider copied the bytes when it made the asset

  auto b = args;
  b.insert(b.end(), {"-o", s.work + "/b.mp4"});
  Run second = s.cli_env(b, kAws);
  REQUIRE_MESSAGE(second.status == 0, second.err);
  CHECK(s.creates("/volc/asset/CreateAsset").size() == 1);  // the cached asset id
  CHECK(media_url(s.creates()[1]["body"]) == url);
  CHECK(s3.puts() == 1);
}

TEST_CASE("batch: a line with a local video goes through --upload, and a rerun uploads nothing") {
  Session s("upload-batch");
  Nginx nginx(s.work + "/nginx");
  std::string video = make_video(s.work);
  std::string jobs = s.work + "/jobs.jsonl";
  std::ofstream(jobs) << json{{"prompt", "@video1 walks on"}, {"ref_videos", {"ref.mp4"}}, {"output", "out/a.mp4"}}.dump()
                      << "\n"
                      << json{{"prompt", "@video1 runs"}, {"ref_videos", {"ref.mp4"}}, {"output", "out/b.mp4"}}.dump()
                      << "\n";
  Run without = s.cli_env({"batch", jobs}, {});
  CHECK(without.status == 1);
  CHECK(s.creates().empty());

  Run r = s.cli_env({"batch", jobs, "--upload", "put:" + nginx.base + "/dav/{sha256}.{ext}", "--json"}, {});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  CHECK(nginx.puts() == 1);  // two lines, one file: one upload
  CHECK(s.creates().size() == 2);
  CHECK(fetched(s.fetches(), seedreel::upload::sha256_file_hex(video)).size() == 2);
}

TEST_CASE("chain on the flat dialect: the first frame and every last frame are uploaded, each once") {
  Session s("upload-chain");
  Nginx nginx(s.work + "/nginx");
  std::string image = make_image(s.work);
  std::ofstream(s.work + "/prompts.txt") << "a lighthouse at dawn\ngulls circle the lamp\n";
  std::vector<std::string> args{"chain", "--provider", "xingchaoyiqing", "--first-frame", image, "--prompt-file",
                                s.work + "/prompts.txt", "--duration", "4", "--upload",
                                "put:" + nginx.base + "/dav/{sha256}.{ext}", "-o", s.work + "/story.mp4"};
  Run r = s.cli_env(args, {});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto creates = s.creates("/v1/kyyvideo2/videos");
  REQUIRE(creates.size() == 2);
  for (const auto& c : creates) CHECK(std::string(c["body"]["first_image"]).rfind(nginx.base + "/dav/", 0) == 0);
  CHECK(nginx.puts() == 2);
  Run again = s.cli_env(args, {});
  REQUIRE_MESSAGE(again.status == 0, again.err);
  CHECK(s.creates("/v1/kyyvideo2/videos").size() == 2);  // both clips reused
  CHECK(nginx.puts() == 2);
}

TEST_CASE("uploads show progress on a terminal only, and a store that does not answer is retried as API calls are") {
  Session s("upload-tty");
  std::string big = s.work + "/big.mp4";  // 3 MB: large enough for a progress line
  make({"-f", "lavfi", "-i", "testsrc2=size=854x480:rate=24", "-t", "5", "-b:v", "12M", "-pix_fmt", "yuv420p", big});
  std::string upload = "put:" + s.emu.base + "/uploads/{sha256}.{ext}";
  std::vector<std::string> args{"generate", "--prompt", "@video1 x", "--ref-video", big, "--upload", upload};

  auto quiet = args;
  quiet.insert(quiet.end(), {"-o", s.work + "/a.mp4"});
  Run piped = s.cli_env(quiet, {});
  REQUIRE_MESSAGE(piped.status == 0, piped.err);
  CHECK(piped.err.find("upload 100%") == std::string::npos);

  // Under a pseudo-terminal (script(1)), a line that redraws itself; a fresh file so it is uploaded.
  std::string copy = s.work + "/big2.mp4";
  make({"-i", big, "-c", "copy", "-metadata", "title=again", copy});
  auto tty = args;
  tty[4] = copy;
  tty.insert(tty.end(), {"-o", s.work + "/b.mp4"});
  auto argv = s.argv(tty);
  std::string command;
  for (const auto& a : argv) command += "'" + a + "' ";
  Run shown = run({"script", "-q", "-e", "-c", command, "/dev/null"});
  REQUIRE_MESSAGE(shown.status == 0, shown.out);
  CHECK(shown.out.find("upload 100%") != std::string::npos);

  // Nothing listens on this port: the PUT is tried --retries + 1 times, then refused with exit 4.
  auto dead = std::vector<std::string>{"generate", "--prompt", "@video1 x", "--ref-video", big, "--upload",
                                       "put:http://127.0.0.1:" + std::to_string(free_port()) + "/u/{sha256}.{ext}",
                                       "--retries", "2", "-o", s.work + "/c.mp4"};
  Run refused = s.cli_env(dead, {});
  CHECK(refused.status == 4);
  CHECK(refused.err.find("gave up after 3 attempts") != std::string::npos);
  CHECK(count(refused.err, "retrying in") == 2);
}

TEST_CASE("the upload target can come from the environment or ~/.config/seedreel/upload.json") {
  Session s("upload-config");
  std::string video = make_video(s.work);
  std::string sha = seedreel::upload::sha256_file_hex(video);
  fs::create_directories(s.work + "/config/seedreel");
  std::ofstream(s.work + "/config/seedreel/upload.json")
      << json{{"upload", "put:" + s.emu.base + "/uploads/cfg-{sha256}.{ext}"}}.dump();
  Run from_file = s.cli_env({"generate", "--prompt", "@video1 x", "--ref-video", video, "-o", s.work + "/a.mp4"}, {});
  REQUIRE_MESSAGE(from_file.status == 0, from_file.err);
  CHECK(media_url(s.creates().back()["body"]) == s.emu.base + "/uploads/cfg-" + sha + ".mp4");
  // The environment wins over the file, the flag over both.
  Run from_env = s.cli_env({"generate", "--prompt", "@video1 x", "--ref-video", video, "-o", s.work + "/b.mp4"},
                           {"SEEDREEL_UPLOAD=put:" + s.emu.base + "/uploads/env-{sha256}.{ext}"});
  REQUIRE_MESSAGE(from_env.status == 0, from_env.err);
  CHECK(media_url(s.creates().back()["body"]) == s.emu.base + "/uploads/env-" + sha + ".mp4");
  Run from_flag = s.cli_env({"generate", "--prompt", "@video1 x", "--ref-video", video, "--upload",
                             "put:" + s.emu.base + "/uploads/flag-{sha256}.{ext}", "-o", s.work + "/c.mp4"},
                            {"SEEDREEL_UPLOAD=put:" + s.emu.base + "/uploads/env-{sha256}.{ext}"});
  REQUIRE_MESSAGE(from_flag.status == 0, from_flag.err);
  CHECK(media_url(s.creates().back()["body"]) == s.emu.base + "/uploads/flag-" + sha + ".mp4");
  CHECK(fetched(s.fetches(), sha).size() == 3);
}

TEST_CASE("extend through S3: tails presigned, and a rerun pays and uploads nothing twice") {
  Session s("upload-extend");
  S3 s3(s.work + "/s3");
  std::string video = make_video(s.work);
  std::vector<std::string> args{"extend", video, "--prompt", "@video1 keeps going", "--tail", "3", "--duration", "4",
                                "--upload", "s3://media/tails", "--s3-endpoint", s3.endpoint, "-o",
                                s.work + "/longer.mp4", "--json"};
  Run first = s.cli_env(args, kAws);
  REQUIRE_MESSAGE(first.status == 0, first.err);
  CHECK(s.creates().size() == 1);
  CHECK(s3.puts() == 1);
  CHECK(count(s3.log(), "sigv4=bad") == 0);
  auto result = json::parse(first.out);
  std::string shown = result["clips"][0]["input_url"];
  CHECK(shown.find("X-Amz-Signature=***") != std::string::npos);
  CHECK(first.out.find("S3RVER") == std::string::npos);
  CHECK(slurp(s.work + "/journal.db").find("X-Amz-Signature") == std::string::npos);

  Run again = s.cli_env(args, kAws);
  REQUIRE_MESSAGE(again.status == 0, again.err);
  CHECK(s.creates().size() == 1);
  CHECK(s3.puts() == 1);
}

TEST_CASE("put: a reference image and a reference audio both reach the flat dialect as URLs") {
  Session s("upload-flat-audio");
  std::string image = make_image(s.work);
  std::string audio = s.work + "/voice.wav";
  make({"-f", "lavfi", "-i", "sine=frequency=440:duration=3", audio});
  Run r = s.cli_env({"generate", "--provider", "xingchaoyiqing", "--prompt", "@image1 sings @audio1", "--ref-image", image,
                     "--ref-audio", audio, "--upload", "put:" + s.emu.base + "/uploads/{sha256}.{ext}", "-o",
                     s.work + "/sing.mp4"},
                    {});
  REQUIRE_MESSAGE(r.status == 0, r.err);
  auto body = s.creates("/v1/kyyvideo2/videos").at(0)["body"];
  std::string image_sha = seedreel::upload::sha256_file_hex(image), audio_sha = seedreel::upload::sha256_file_hex(audio);
  CHECK(body["referenceImages"][0] == s.emu.base + "/uploads/" + image_sha + ".png");
  CHECK(body["referenceAudios"][0] == s.emu.base + "/uploads/" + audio_sha + ".wav");
  CHECK(fetched(s.fetches(), image_sha).size() == 1);
  CHECK(fetched(s.fetches(), audio_sha).size() == 1);
}
