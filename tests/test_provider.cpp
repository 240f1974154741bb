// Provider profiles as data, user profile files, flag/env precedence, the
// API key file's permission check, and the normalisation of every poll
// shape into one task model (with the gateways' fail_reason quirk).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "seedreel/client.hpp"
#include "seedreel/error.hpp"
#include "seedreel/provider.hpp"
#include "support.hpp"

using namespace seedreel;

namespace {

struct Env {
  std::string name;
  Env(std::string n, const std::string& value) : name(std::move(n)) { setenv(name.c_str(), value.c_str(), 1); }
  ~Env() { unsetenv(name.c_str()); }
};

std::string write(const std::string& dir, const std::string& name, const std::string& text, mode_t mode = 0600) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  chmod(path.c_str(), mode);
  return path;
}

ErrorKind kind_of_throw(auto&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  FAIL("no error");
  return ErrorKind::invalid_argument;
}

}  // namespace

TEST_CASE("built-in profiles") {
  std::map<std::string, const Provider*> by;
  for (const auto& p : builtin_providers()) by[p.name] = &p;
  REQUIRE(by.size() == 5);
  CHECK(by["anyfast"]->dialect == Dialect::content_array);
  CHECK(by["anyfast"]->url(by["anyfast"]->create_path) == "https://www.anyfast.ai/v1/video/generations");
  CHECK(by["starrise"]->url(by["starrise"]->poll_path, "asyn 1/x") == "https://ai.alad.com/v1/video/generations/asyn%201%2Fx");
  CHECK(by["xingchaoyiqing"]->url(by["xingchaoyiqing"]->poll_path, "video_1") ==
        "https://zcbservice.aizfw.cn/kyyReactApiServer/v1/result/video_1");
  CHECK_FALSE(by["xingchaoyiqing"]->data_uris);
  CHECK(by["ark-cn"]->url(by["ark-cn"]->create_path) == "https://ark.cn-beijing.volces.com/api/v3/contents/generations/tasks");
  CHECK(by["ark-intl"]->base_url == "https://ark.ap-southeast.bytepluses.com/api/v3");
  CHECK(by["ark-intl"]->cancel_path == "/contents/generations/tasks/{id}");
  CHECK(by["anyfast"]->cancel_path.empty());
  CHECK(by["anyfast"]->asset_group_path == "/volc/asset/CreateAssetGroup");
  // Model limits come from the limits table.
  CHECK(by["anyfast"]->find_model("seedance-2.0-mini")->max_resolution == "720p");
  CHECK(by["xingchaoyiqing"]->find_model("seedance_2_0")->requires_reference_video);
  CHECK(by["ark-cn"]->find_model("doubao-seedance-2-0-fast-260128")->max_resolution == "720p");
}

TEST_CASE("flags win over the environment, which wins over the default") {
  unsetenv("SEEDREEL_PROVIDER");
  unsetenv("SEEDREEL_BASE_URL");
  Env none("SEEDREEL_PROVIDERS_FILE", "");
  Env cfg("XDG_CONFIG_HOME", test::temp_dir("provider-cfg"));
  CHECK(resolve_provider("", "").name == "anyfast");
  {
    Env e("SEEDREEL_PROVIDER", "ark-cn");
    Env b("SEEDREEL_BASE_URL", "http://127.0.0.1:9/");
    CHECK(resolve_provider("", "").name == "ark-cn");
    CHECK(resolve_provider("", "").base_url == "http://127.0.0.1:9");
    CHECK(resolve_provider("starrise", "http://127.0.0.1:7").name == "starrise");
    CHECK(resolve_provider("starrise", "http://127.0.0.1:7").base_url == "http://127.0.0.1:7");
  }
  CHECK(kind_of_throw([] { resolve_provider("nope", ""); }) == ErrorKind::invalid_argument);
  CHECK(kind_of_throw([] { resolve_provider("anyfast", "ftp://x"); }) == ErrorKind::invalid_argument);
  try {
    resolve_provider("nope", "");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("xingchaoyiqing") != std::string::npos);
  }
}

TEST_CASE("user profiles from a JSON file take the dialect's defaults and win over built-ins") {
  auto dir = test::temp_dir("provider-file");
  auto file = write(dir, "providers.json", R"({"providers": [
    {"name": "mygw", "dialect": "content_array", "base_url": "https://gw.example/", "models": ["seedance-2.0",
      {"name": "custom-x", "max_resolution": "720p"}], "poll_interval": 2},
    {"name": "anyfast", "dialect": "ark", "base_url": "https://proxy.example/api/v3", "default_model": "doubao-seedance-2-0-260128"}
  ]})");
  Env f("SEEDREEL_PROVIDERS_FILE", file);
  Provider p = resolve_provider("mygw", "");
  CHECK(p.base_url == "https://gw.example");
  CHECK(p.create_path == "/v1/video/generations");
  CHECK(p.default_model == "seedance-2.0");
  CHECK(p.poll_interval == 2);
  CHECK(p.find_model("custom-x")->max_resolution == "720p");
  Provider a = resolve_provider("anyfast", "");
  CHECK(a.dialect == Dialect::ark);
  CHECK(a.models.empty());  // any model the limits table knows

  CHECK(kind_of_throw([&] { load_provider_file(write(dir, "bad.json", "{not json")); }) == ErrorKind::input);
  CHECK(kind_of_throw([&] { load_provider_file(write(dir, "nodialect.json", R"([{"name":"x","base_url":"https://x"}])")); }) ==
        ErrorKind::input);
  CHECK(kind_of_throw([&] {
          load_provider_file(write(dir, "baddialect.json", R"([{"name":"x","dialect":"soap","base_url":"https://x","default_model":"m"}])"));
        }) == ErrorKind::input);
  CHECK(kind_of_throw([&] {
          load_provider_file(write(dir, "badres.json",
                                   R"([{"name":"x","dialect":"flat","base_url":"https://x","models":[{"name":"m","max_resolution":"8k"}]}])"));
        }) == ErrorKind::input);
  CHECK(kind_of_throw([&] { load_provider_file(dir + "/missing.json"); }) == ErrorKind::input);
}

TEST_CASE("API key: environment first, then a private key file") {
  auto dir = test::temp_dir("key");
  unsetenv("SEEDREEL_API_KEY");
  {
    Env cfg("XDG_CONFIG_HOME", dir + "/empty");
    CHECK(load_api_key().empty());
  }
  auto file = write(dir, "key", "  sk-file-123 \n", 0600);
  {
    Env k("SEEDREEL_API_KEY_FILE", file);
    CHECK(load_api_key() == "sk-file-123");
    Env e("SEEDREEL_API_KEY", "sk-env");
    CHECK(load_api_key() == "sk-env");
  }
  for (mode_t mode : {0640, 0604, 0660}) {
    chmod(file.c_str(), mode);
    Env k("SEEDREEL_API_KEY_FILE", file);
    try {
      load_api_key();
      FAIL("accepted a readable key file");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::invalid_argument);
      CHECK(std::string(e.what()).find("sk-file-123") == std::string::npos);
      CHECK(std::string(e.what()).find("chmod 600") != std::string::npos);
    }
  }
  chmod(file.c_str(), 0600);
  Env k("SEEDREEL_API_KEY_FILE", write(dir, "empty", "\n"));
  CHECK(kind_of_throw([] { load_api_key(); }) == ErrorKind::invalid_argument);
}

TEST_CASE("content-array polls: upper-case words, progress strings, the fail_reason quirk") {
  auto t = parse_task(Dialect::content_array,
                      R"({"code":"success","data":{"task_id":"asyn1","status":"IN_PROGRESS","progress":"50%","fail_reason":""}})", "u");
  CHECK(t.status == TaskStatus::running);
  CHECK(t.progress == 50);
  CHECK(t.id == "asyn1");
  t = parse_task(Dialect::content_array,
                 R"({"data":{"status":"SUCCESS","progress":"100%","result_url":"https://r/v.mp4","fail_reason":"https://r/v.mp4"}})", "u");
  CHECK(t.status == TaskStatus::succeeded);
  CHECK(t.video_url == "https://r/v.mp4");
  CHECK(t.error_message.empty());  // fail_reason holds the URL on success: never an error
  t = parse_task(Dialect::content_array,
                 R"({"data":{"status":"SUCCESS","data":{"content":{"video_url":"https://up/v.mp4","last_frame_url":"https://up/l.png"}}}})", "u");
  CHECK(t.video_url == "https://up/v.mp4");
  CHECK(t.last_frame_url == "https://up/l.png");
  t = parse_task(Dialect::content_array,
                 R"({"data":{"status":"FAILURE","progress":"100%","fail_reason":"blocked: OutputAudioSensitiveContentDetected."}})", "u");
  CHECK(t.status == TaskStatus::failed);
  CHECK(t.error_code == "OutputAudioSensitiveContentDetected");
  CHECK(parse_task(Dialect::content_array, R"({"data":{"status":"NOT_START"}})", "u").status == TaskStatus::queued);
  CHECK(parse_task(Dialect::content_array, R"({"data":{"status":"FAILURE","data":{"status":"cancelled"}}})", "u").status ==
        TaskStatus::cancelled);
}

TEST_CASE("flat and Ark polls") {
  auto t = parse_task(Dialect::flat, R"({"id":"video_1","status":"completed","video_url":"https://v","actualDuration":5,"totalTokens":9})", "u");
  CHECK(t.status == TaskStatus::succeeded);
  CHECK(t.usage == R"({"actualDuration":5,"totalTokens":9})");
  t = parse_task(Dialect::flat, R"({"id":"video_1","status":"failed","error":"InvalidParameter.Duration: too long"})", "u");
  CHECK(t.error_code == "InvalidParameter.Duration");
  CHECK(parse_task(Dialect::flat, R"({"status":"processing"})", "u").status == TaskStatus::running);
  t = parse_task(Dialect::ark, R"({"id":"cgt-1","status":"failed","error":{"code":"InputImageSensitiveContentDetected","message":"m"}})", "u");
  CHECK(t.error_code == "InputImageSensitiveContentDetected");
  CHECK(parse_task(Dialect::ark, R"({"id":"cgt-1","status":"expired"})", "u").status == TaskStatus::expired);
  t = parse_task(Dialect::ark, R"({"id":"c","status":"succeeded","content":{"video_url":"https://v"},"usage":{"completion_tokens":1}})", "u");
  CHECK(t.video_url == "https://v");
  CHECK(t.usage == R"({"completion_tokens":1})");
}

TEST_CASE("unknown shapes fail naming the field") {
  auto message = [](Dialect d, const char* body) {
    try {
      parse_task(d, body, "http://h/x");
    } catch (const Error& e) {
      CHECK(e.kind() == ErrorKind::api);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message(Dialect::content_array, R"({"data":{"status":"SUSPENDED"}})").find("'SUSPENDED' in field 'data.status'") !=
        std::string::npos);
  CHECK(message(Dialect::content_array, R"({"code":"fail","message":"no such task"})").find("no such task") != std::string::npos);
  CHECK(message(Dialect::flat, R"({"state":"queued"})").find("'status'") != std::string::npos);
  CHECK(message(Dialect::ark, R"({"status":"succeeded"})").find("content.video_url") != std::string::npos);
  CHECK(message(Dialect::ark, "not json").find("malformed JSON") != std::string::npos);
  CHECK(message(Dialect::content_array, R"({"data":{"status":"SUCCESS"}})").find("without a URL") != std::string::npos);
}

TEST_CASE("task errors: moderation and 100% failures are their own kind, with advice") {
  Task t;
  t.id = "x";
  t.status = TaskStatus::failed;
  t.error_code = "OutputAudioSensitiveContentDetected";
  Error e = task_error(t);
  CHECK(e.kind() == ErrorKind::moderation);
  // The remedy is named by the request's field; the CLI turns it into flags.
  CHECK(e.option() == "generate_audio");
  CHECK(std::string(e.what()).find("without generated audio") != std::string::npos);
  CHECK(std::string(e.what()).find("--") == std::string::npos);
  t.error_code = "InputImageSensitiveContentDetected.PrivacyInformation";
  CHECK(task_error(t).kind() == ErrorKind::moderation);
  CHECK(std::string(task_error(t).what()).find("asset") != std::string::npos);
  t.error_code = "";
  t.error_message = "internal";
  t.progress = 100;
  CHECK(task_error(t).kind() == ErrorKind::moderation);
  CHECK(std::string(task_error(t).what()).find("100%") != std::string::npos);
  t.progress = 40;
  CHECK(task_error(t).kind() == ErrorKind::failed);
  t.status = TaskStatus::expired;
  CHECK(task_error(t).kind() == ErrorKind::failed);
  CHECK(advice_for("InvalidParameter.Ratio").find("'Ratio'") != std::string::npos);
  CHECK(advice_for("QuotaExceeded").find("quota") != std::string::npos);
  CHECK(advice_for("RateLimitExceeded").find("retried") != std::string::npos);
  CHECK(advice_for("ServerOverloaded").find("overloaded") != std::string::npos);
  CHECK(advice_for("Whatever").empty());
}
