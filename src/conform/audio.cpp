#include "conform/job.hpp"
namespace seedreel::conform_detail {
Conformed conform_audio(const Job& job) { return copy_unchanged(job); }
}
