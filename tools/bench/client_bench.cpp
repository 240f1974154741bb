// Client benchmark driver (built by tools/bench/client against the library).
//   client_bench tasks BASE_URL N WORKERS POLL_S OUTDIR
//     N tasks in flight at once from one process: a pool of WORKERS threads
//     creates all N, then polls them round-robin and downloads each as it
//     finishes. Prints JSON: wall time, peak RSS, requests per task.
//   client_bench fetch URL OUT RUNS
//     Downloads URL RUNS times, printing per run the transfer time of our
//     HTTP layer (into the page cache, as curl's time_total) and the time of
//     the whole Client::download path (`seedreel download`: + fsync, rename).
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "seedreel/client.hpp"
#include "seedreel/provider.hpp"
#include "seedreel/request.hpp"
#include "http/curl.hpp"
#include "http/http.hpp"

using namespace seedreel;
using Clock = std::chrono::steady_clock;

namespace {

struct Job {
  std::string id;
  Clock::time_point due;
};

int tasks(const std::string& base, int n, int workers, double poll_s, const std::string& outdir) {
  Provider p = resolve_provider("anyfast", base);
  Request r;
  r.prompt = "benchmark clip";
  r.resolution = "480p";
  r.ratio = "1:1";
  r.duration = 4;
  r.generate_audio = false;
  std::string body = prepare(r, p).body;

  std::mutex m;
  std::condition_variable cv;
  std::deque<Job> queue;
  std::atomic<int> created{0}, done{0}, failed{0}, requests{0}, retries{0};
  std::atomic<long long> bytes{0};
  auto start = Clock::now();

  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      ClientOptions o;
      o.poll_interval = poll_s;
      Client client(p, "bench-key", o);
      // Phase 1: create (all tasks end up running on the server at once).
      for (int i; (i = created.fetch_add(1)) < n;) {
        std::string id = client.create(body);
        std::lock_guard lock(m);
        queue.push_back({id, Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(poll_s))});
        cv.notify_one();
      }
      // Phase 2: poll round-robin, download what finished.
      for (;;) {
        Job job;
        {
          std::unique_lock lock(m);
          cv.wait_for(lock, std::chrono::milliseconds(50), [&] { return !queue.empty() || done + failed >= n; });
          if (done + failed >= n) break;
          if (queue.empty()) continue;
          job = queue.front();
          queue.pop_front();
        }
        std::this_thread::sleep_until(job.due);
        Task t = client.poll(job.id);
        if (!is_terminal(t.status)) {
          std::lock_guard lock(m);
          queue.push_back({job.id, Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(poll_s))});
          continue;
        }
        if (t.status == TaskStatus::succeeded) {
          bytes += client.download(t, outdir + "/" + t.id + ".mp4");
          ++done;
        } else {
          ++failed;
        }
        cv.notify_all();
      }
      requests += client.stats().requests;
      retries += client.stats().retries;
      (void)w;
    });
  }
  for (auto& t : pool) t.join();
  double wall = std::chrono::duration<double>(Clock::now() - start).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  nlohmann::json j = {{"tasks", n}, {"workers", workers}, {"succeeded", done.load()}, {"failed", failed.load()},
                      {"wall_s", wall}, {"peak_rss_mb", ru.ru_maxrss / 1024.0}, {"requests", requests.load()},
                      {"requests_per_task", double(requests) / n}, {"retries", retries.load()}, {"bytes", bytes.load()}};
  std::printf("%s\n", j.dump().c_str());
  return failed ? 1 : 0;
}

int fetch(const std::string& url, const std::string& out, int runs) {
  Provider p = resolve_provider("anyfast", "http://127.0.0.1:1");
  Client client(p, "bench-key");
  // Library set-up (OpenSSL init) happens once per process, outside the timing,
  // as curl's time_total leaves out its own start-up.
  http::ensure_curl_global();
  for (int i = 0; i < runs; ++i) {
    // Transfer into the page cache, as curl's time_total measures it.
    auto start = Clock::now();
    std::FILE* f = std::fopen((out + ".raw").c_str(), "wb");
    std::setvbuf(f, nullptr, _IONBF, 0);
    http::DownloadProgress progress;
    http::download(url, f, progress, {});
    std::fflush(f);
    double transfer = std::chrono::duration<double>(Clock::now() - start).count();
    std::fclose(f);
    // The whole `seedreel download` path: temp file, size check, fsync, rename.
    Task t;
    t.id = "bench";
    t.status = TaskStatus::succeeded;
    t.video_url = url;
    start = Clock::now();
    client.download(t, out);
    double whole = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%.6f %.6f\n", transfer, whole);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 6 && a[0] == "tasks") return tasks(a[1], std::stoi(a[2]), std::stoi(a[3]), std::stod(a[4]), a[5]);
  if (a.size() == 4 && a[0] == "fetch") return fetch(a[1], a[2], std::stoi(a[3]));
  std::fprintf(stderr, "usage: client_bench tasks BASE_URL N WORKERS POLL_S OUTDIR | fetch URL OUT RUNS\n");
  return 2;
}
