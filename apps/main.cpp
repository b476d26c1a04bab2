// apps/main.cpp — the `layerseg` binary: parses the command line and runs one subcommand.
// Run `layerseg --help` for the list; every subcommand lives in its own apps/cmd_*.cpp.
#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>

#include "apps/command.h"
#include "core/comm.h"
#include "kernels/cpu/gemm.h"
#include "kernels/error.h"
#include "kernels/parallel.h"

namespace ls::app {
std::vector<Command>& commands() {
  static std::vector<Command> all;
  return all;
}
}  // namespace ls::app

int main(int argc, char** argv) {
  ls::cpu::use_native_blas_kernels(argv);
  // A rank of `mpirun -np N` / `srun` joins the job here (docs/DISTRIBUTED.md); any other process is a world of one.
  ls::comm::World world;
  try {
    world = ls::comm::init(&argc, &argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "layerseg: error: {}\n", e.what());
    return 1;
  }
  CLI::App app{"layerseg: foreground/background segmentation from unlabelled images with layered GANs"};
  app.require_subcommand(1);
  auto& cmds = ls::app::commands();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& c : cmds) {
    CLI::App& sub = *app.add_subcommand(c.name, c.description);
    c.setup(sub);
    // Every command runs its CPU kernels and its data loading on one pool (kernels/parallel.h). Parsed before the
    // command's callback runs, so the whole command uses the chosen size.
    sub.add_option_function<int>(
        "--threads", [](int n) { ls::set_thread_count(n); },
        "CPU threads for kernels and data loading [default: LAYERSEG_THREADS, else every core this process may use]");
    // Only train (and bench --step, which times its steps) splits work between the ranks of an mpirun job; any other
    // command would run N times over, its ranks writing the same files.
    if (world.size > 1 && c.name != "train" && c.name != "bench") {
      const std::string name = c.name;
      sub.preparse_callback([name, size = world.size](size_t) {
        throw ls::Error(
            fmt::format("`{}` runs as one process; this is one of {} (mpirun/srun): only `train` and "
                        "`bench --step` are data parallel (docs/DISTRIBUTED.md)",
                        name, size));
      });
    }
  }
  try {
    ls::set_thread_count(0);  // the default, so a bad LAYERSEG_THREADS is reported before any work
    // Ranks sharing a machine share its cores: by default each takes its part (--threads still decides).
    if (world.local_size > 1 && !std::getenv("LAYERSEG_THREADS"))
      ls::set_thread_count(std::max(1, ls::thread_count() / world.local_size));
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (world.size > 1 && e.get_exit_code() != 0) ls::comm::abort(e.what());
    const int rc = app.exit(e);
    ls::comm::finalize();
    return rc;
  } catch (const std::exception& e) {
    // One rank's error ends every rank of the job: the others would wait for it in their next collective.
    if (world.size > 1) ls::comm::abort(e.what());
    fmt::print(stderr, "layerseg: error: {}\n", e.what());
    return 1;
  }
  ls::comm::finalize();
  return 0;
}
