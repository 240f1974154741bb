#include "post/stitch_chapters.hpp"

#include <cmath>
#include <filesystem>
#include <new>

#include "post/grab.hpp"

namespace seedreel::post {

namespace {

void add_chapter(AVFormatContext* ctx, double start, double end, const std::string& title) {
  std::unique_ptr<AVChapter, void (*)(void*)> owned(static_cast<AVChapter*>(av_mallocz(sizeof(AVChapter))), av_free);
  if (!owned) throw std::bad_alloc();
  int count = int(ctx->nb_chapters);
  if (av_dynarray_add_nofree(&ctx->chapters, &count, owned.get()) < 0) throw std::bad_alloc();
  ctx->nb_chapters = unsigned(count);
  // Owned by the context from here on: avformat_free_context frees its chapters.
  AVChapter* ch = owned.release();
  ch->id = std::int64_t(count - 1);
  ch->time_base = {1, 1000};
  ch->start = std::llround(start * 1000);
  ch->end = std::llround(end * 1000);
  av_dict_set(&ch->metadata, "title", title.c_str(), 0);
}

struct Mark {
  double at;  // seconds into the clip as it appears in the output
  std::string title;
};

// A clip's own chapter starts on its output span, or its file name at 0.
std::vector<Mark> marks_of(const Clip& c, double duration, double dropped) {
  std::vector<Mark> marks;
  const AVFormatContext* in = c.in->get();
  const double video_start = double(stream_start(c.video)) * av_q2d(c.video->time_base);
  for (unsigned k = 0; k < in->nb_chapters; ++k) {
    const AVChapter* ch = in->chapters[k];
    const double at = std::max(0.0, double(ch->start) * av_q2d(ch->time_base) - video_start - dropped);
    if (!marks.empty() && at <= marks.back().at) continue;  // moved onto the one before by the frames left out
    if (!marks.empty() && at >= duration) break;
    const AVDictionaryEntry* title = av_dict_get(ch->metadata, "title", nullptr, 0);
    marks.push_back({marks.empty() ? 0.0 : at, title ? title->value : ""});
  }
  if (marks.empty()) marks.push_back({0.0, ""});
  if (marks.front().title.empty()) marks.front().title = std::filesystem::path(c.path).filename().string();
  return marks;
}

}  // namespace

int add_chapters(AVFormatContext* out, const std::vector<Clip>& clips, const std::vector<double>& durations,
                 const std::vector<double>& dropped) {
  double offset = 0;
  int added = 0;
  for (std::size_t i = 0; i < clips.size(); ++i) {
    std::vector<Mark> marks = marks_of(clips[i], durations[i], dropped[i]);
    for (std::size_t m = 0; m < marks.size(); ++m) {
      const double end = m + 1 < marks.size() ? marks[m + 1].at : durations[i];
      add_chapter(out, offset + marks[m].at, offset + end, marks[m].title);
      ++added;
    }
    offset += durations[i];
  }
  return added;
}

}  // namespace seedreel::post
