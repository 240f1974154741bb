#pragma once
// One clip of a workflow: reused when an earlier run finished it for the same
// request, resumed when an earlier run's task is still in the journal, else
// generated. The journal is the only record: a clip's work key folds every
// request it was built on and its path.
#include <optional>
#include <string>

#include "seedreel/workflow.hpp"

namespace seedreel::workflow_detail {

// Keys identify what a clip was asked for. Each folds in the previous clip's
// key, so a clip is reused only when everything it was built on is unchanged.
std::string fold_key(const std::string& previous, const std::string& text);
// A digest of a file's bytes (an input video's identity).
std::string file_digest(const std::string& path);

struct ClipJob {
  int index = 0;
  std::string path;  // absolute: the journal matches in-flight tasks by output path
  std::string key;
  std::string prompt;
};

// OUTDIR/clip-001.mp4 (absolute).
std::string clip_path(const std::string& parts_dir, int index);
void notice(const WorkflowOptions& options, const std::string& text);

// The clip from an earlier run (found in the journal by its work key),
// downloaded now if its task was still in flight; nullopt when it has to be
// generated.
std::optional<WorkflowClip> reuse_or_resume(Client& client, const ClipJob& job, const WorkflowOptions& options);

// Generates through the task lifecycle (journal, create, wait, download),
// under the clip's work key so a rerun after a crash takes the task over.
WorkflowClip generate_clip(Client& client, const ClipJob& job, const Request& request, const std::string& body,
                           const WorkflowOptions& options);
// Marks the clips' tasks done: the workflow has used them.
void finish_clips(Client& client, const WorkflowOptions& options, const std::vector<WorkflowClip>& clips);

}  // namespace seedreel::workflow_detail

namespace seedreel::workflow_detail {
// Creates the work folder (checks the options first, the sheet's name too,
// so a bad one fails before anything is paid for); returns its path.
std::string prepare_parts(const WorkflowOptions& options);
// How the clips are joined: repeated seam frames dropped, echoes as the options say.
StitchOptions join_options(const WorkflowOptions& options);
// The contact sheet of the written output, when the options ask for one.
void draw_sheet(const WorkflowOptions& options, WorkflowResult& result);
// The first finding as one-line Error(validation), counting the rest.
Error findings_error(const std::string& subject, const std::vector<Finding>& findings);
}  // namespace seedreel::workflow_detail
