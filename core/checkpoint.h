// core/checkpoint.h — checkpoints as safetensors files (SPEC §8), readable by any safetensors reader:
//   [8-byte little-endian header length N][N bytes of JSON header, space-padded to a multiple of 8][raw F32 data]
// The header maps each tensor name to {"dtype":"F32","shape":[...],"data_offsets":[begin,end]} and "__metadata__"
// to string→string: the caller's entries (config, step, round, RNG state, ...) plus
//   layerseg.format = "1", layerseg.checksum = FNV-1a 64 (hex) of the data section, and
//   layerseg.header_checksum = FNV-1a 64 of the header's canonical JSON (without this key), so that a damaged tensor
//   name, shape or metadata value is caught as surely as a damaged weight.
// Saving is atomic: a temp file beside the target is written, fsync'd and renamed, then the directory is fsync'd.
// Loading validates everything and names the file (and tensor) in every error.
//   save_checkpoint("run/ckpt.safetensors", with_prefix("g.", module_state(g)), {{"step", "1000"}});
//   Checkpoint ck = load_checkpoint("run/ckpt.safetensors");
//   load_into(ck, with_prefix("g.", module_state(g)), "run/ckpt.safetensors");
#pragma once
#include <map>
#include <string>

#include "core/module.h"

namespace ls {

struct Checkpoint {
  std::map<std::string, Tensor> tensors;        // on the CPU
  std::map<std::string, std::string> metadata;  // including the layerseg.* entries
};

// Keys layerseg.format, layerseg.checksum and layerseg.header_checksum are the writer's; the caller may not set them.
void save_checkpoint(const std::string& path, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata);
Checkpoint load_checkpoint(const std::string& path);

// Copies ck's tensors into dst's tensors (any device) by name; extra tensors in ck are ignored. All names and shapes
// are checked before anything is copied, so a failed load leaves dst untouched. `path` is for the error messages.
void load_into(const Checkpoint& ck, const NamedTensors& dst, const std::string& path);

NamedTensors module_state(const Module& m);  // named_parameters() then named_buffers()
// Copies every tensor of `from` into the same-named tensor of `to`, a module built from the same configuration.
void copy_module_state(const Module& from, Module& to);

// For several modules and optimizers in one file: "g." + name on the way in, and back out.
NamedTensors with_prefix(const std::string& prefix, const NamedTensors& tensors);
NamedTensors strip_prefix(const std::string& prefix, const std::map<std::string, Tensor>& tensors);

}  // namespace ls
