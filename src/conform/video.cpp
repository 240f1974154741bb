#include "conform/job.hpp"
namespace seedreel::conform_detail {
Conformed conform_video(const Job& job) { return copy_unchanged(job); }
}
