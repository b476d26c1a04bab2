// apps/command.h — how a subcommand joins the `layerseg` binary: each apps/cmd_*.cpp defines one and registers it
// with LS_COMMAND(name, description, setup), where setup(CLI::App&) adds the options and the callback.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ls::app {

struct Command {
  std::string name, description;
  std::function<void(CLI::App&)> setup;
};

std::vector<Command>& commands();

struct CommandRegistrar {
  CommandRegistrar(std::string name, std::string description, std::function<void(CLI::App&)> setup) {
    commands().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace ls::app

#define LS_COMMAND_CAT2(a, b) a##b
#define LS_COMMAND_CAT(a, b) LS_COMMAND_CAT2(a, b)
#define LS_COMMAND(name, description, setup) \
  static ::ls::app::CommandRegistrar LS_COMMAND_CAT(ls_command_, __LINE__)(name, description, setup)
