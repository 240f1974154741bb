#pragma once
// Ctrl-C for programs that use seedreel. After install_interrupt_handler(),
// the first SIGINT or SIGTERM sets a flag that the library's long loops
// (conform, stitch, the task lifecycle's polling) check: they stop with
// Error(cancelled) and remove their temporary files as they unwind. A second
// signal removes every temporary file still registered and exits with status
// 130 at once.
//
//   int main() {
//     seedreel::install_interrupt_handler();
//     try {
//       seedreel::stitch(clips, "joined.mp4", {});
//     } catch (const seedreel::Error& e) {
//       if (e.kind() == seedreel::ErrorKind::cancelled) return 130;
//       throw;
//     }
//   }
#include <string>

namespace seedreel {

void install_interrupt_handler();
bool interrupted() noexcept;
// Throws Error(cancelled, subject, "interrupted") when the flag is set.
void throw_if_interrupted(const std::string& subject = "");

}  // namespace seedreel
