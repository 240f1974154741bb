#pragma once
// Videos longer than one generation. chain: one clip per prompt, each
// starting from the previous clip's exact last frame. extend: the tail of a
// video goes back as a reference video, the new clip is stitched on, and so
// on. Every clip lives in a work folder beside the output and every task is
// journaled before it is polled, so a rerun after a crash, Ctrl-C or timeout
// reuses finished clips and resumes in-flight tasks instead of paying again.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "seedreel/client.hpp"
#include "seedreel/frames.hpp"
#include "seedreel/request.hpp"
#include "seedreel/stitch.hpp"

namespace seedreel {

class Journal;

// A prompt file: one prompt per line; blank lines and lines starting with '#'
// are skipped, surrounding white space is trimmed. Error(input) when it cannot
// be read, Error(validation) when it holds no prompt.
std::vector<std::string> read_prompt_file(const std::string& path);

// Where a workflow keeps its clips, frames and tails: OUT.parts beside OUT.
std::string parts_dir_for(const std::string& output);

struct WorkflowOptions {
  std::string output;                // the joined video
  std::string parts_dir;             // "" = parts_dir_for(output)
  Journal* journal = nullptr;        // required: every task is recorded before it is polled
  bool retry_without_audio = false;  // as GenerateOptions::retry_without_audio
  Overlap overlap = Overlap::off;    // as StitchOptions::overlap: a clip's echo of the one before is dropped at the seam
  // "" = none; else a contact sheet of the output (.png, .jpg, .webp) with its
  // seams marked, drawn once the output is written.
  std::string sheet;
  std::function<void(const std::string&)> on_notice;  // progress lines ("clip 2/3: generating")
  // How to run this workflow again (JSON: argv and folder), journaled with
  // each task so `resume` continues the workflow, not just the download.
  std::string resume_command;
};

// How a clip came to be in this run.
enum class ClipOrigin { generated, resumed, reused };
const char* to_string(ClipOrigin origin) noexcept;

struct WorkflowClip {
  int index = 0;  // 1-based
  std::string path;
  std::string prompt;
  std::string task_id;  // "" when reused from an earlier run that left no journal entry
  ClipOrigin origin = ClipOrigin::generated;
  std::string input;      // chain: the first-frame image; extend: the tail video
  std::string input_url;  // extend: where the tail was published
  std::int64_t entry = 0;  // its journal entry (0 when none)
  std::string usage;       // the provider's usage of its task (JSON), "" when unknown
};

struct WorkflowResult {
  std::string output;
  std::vector<WorkflowClip> clips;
  StitchResult stitch;  // the last join (extend: the one that wrote the output)
  std::optional<SheetResult> sheet;  // when WorkflowOptions::sheet asked for one
};

class Uploader;

struct ChainPlan {
  Request base;  // model and output parameters; prompt and media are set per clip
  std::string first_frame;
  std::vector<std::string> prompts;
  // Publishes the frames a URL-only dialect cannot take inline (null: none can be sent there).
  Uploader* uploader = nullptr;
};
// Clip 1 starts from `first_frame` (conformed first when it fails preflight, or
// fitted to the exact output size when base has a fixed ratio and a
// resolution); clip k+1 from clip k's last frame (PNG). The clips are joined
// with the duplicated seam frames dropped. Error(validation) when a request
// breaks the API's rules (nothing is sent for it).
WorkflowResult chain(Client& client, const ChainPlan& plan, const WorkflowOptions& options);

// Makes a local file readable by the provider; returns its URL or asset://ID.
using Publisher = std::function<std::string(const std::string& path)>;

struct ExtendPlan {
  Request base;  // model and output parameters
  std::string video;
  std::string prompt;
  int times = 1;
  double tail = 0;  // seconds fed back; 0 = the most a reference video may last
  Publisher publish;
};
// `times` rounds of: the last `tail` seconds of the newest video as
// reference_video with the prompt, generate, stitch the video and the new clip.
WorkflowResult extend(Client& client, const ExtendPlan& plan, const WorkflowOptions& options);

struct TailCut {
  std::string path;
  double duration = 0;
  bool copied = false;  // no re-encode (the whole video, copied or remuxed)
};
// The last `seconds` of `video` as a reference video the API accepts, written
// to `out` (mp4) through conform: a video that already passes and is no longer
// than `seconds` is copied as it is; otherwise it is trimmed from the start
// (re-encoded) and fixed the way conform fixes any reference video.
// Error(input) for an unreadable file or one without video.
TailCut cut_tail(const std::string& video, double seconds, const std::string& out);

// A Publisher that HTTP-PUTs the file to `url` ("{name}" in it is replaced by
// the file name; a URL ending in '/' gets the name appended) and returns that
// URL without its query string (a presigned PUT's signature).
Publisher put_publisher(const std::string& url, double timeout_seconds = 300);

}  // namespace seedreel
