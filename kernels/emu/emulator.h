// kernels/emu/emulator.h — what the parts of the emulated CUDA device share (not seen by kernels/cuda): device memory
// with guards and access control (memory.cpp), errors with their detail (runtime_api.cpp), the activity that faults
// are blamed on, and the per-name counts of launches and library calls (accounting.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "kernels/emu/include/cuda_runtime.h"

namespace ls::emu {

// ---- device memory (memory.cpp) ------------------------------------------------------------------------------------
// Each allocation sits in its own mapping: an inaccessible guard page on either side, the block ending at the rear
// guard page (its start 256-byte aligned, the slack before and after filled with a pattern checked after every
// launch), NaN bytes inside. Outside device activity the blocks are inaccessible too, so a host dereference faults.
void* device_malloc(size_t bytes);  // nullptr when out of memory
bool device_free(void* p);          // false when p is not a live allocation's start
// The live allocation holding [p, p + bytes): its start and size; false when there is none.
bool find_allocation(const void* p, size_t bytes, const char** start, size_t* size);
// "0x... (12 bytes past the end of a 4096-byte allocation)" and similar, for messages.
std::string describe_address(const void* p);
// A value that points into memory the process maps, other than device memory: a host address.
bool is_host_address(uint64_t value);
// Host pointers among a kernel's arguments are swapped for addresses in an inaccessible trap range (up to kTraps per
// launch), so a kernel that dereferences one faults and the fault names the original pointer and where it was passed.
// A word that only looks like a pointer (a 4-byte member followed by stale padding bytes) keeps its low 32 bits, so
// the member is unchanged and the padding is never read.
constexpr int kTraps = 64;
// The trap address standing for host pointer `value` found at byte `offset` of argument `arg`: trap k of this launch.
uint64_t set_host_trap(int k, uint64_t value, int arg, size_t offset);

// For its lifetime, makes the allocations that the `reach` pointers point into accessible (pointers elsewhere are
// ignored); at its end they are inaccessible again. `activity` ("kernel ...", "cublasSgemm") is what a fault inside
// the scope is blamed on.
class DeviceAccess {
 public:
  DeviceAccess(std::string activity, const std::vector<const void*>& reach);
  DeviceAccess(std::string activity, std::initializer_list<const void*> reach);
  ~DeviceAccess();
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;
  // At the end of the activity: any damage to the guard patterns of the opened allocations is an out-of-bounds write,
  // fatal() with the address and the activity.
  void require_intact_guards() const;

 private:
  std::vector<const char*> opened_;  // mapping starts
};
// Whether value points into a live allocation (a device address among a kernel's arguments).
bool is_device_address(uint64_t value);

// A library reading or writing [p, p + bytes) that is not inside one live allocation: on a GPU an illegal address that
// kills the context; here fatal(), naming the entry point and the operand.
void require_device_range(const void* p, size_t bytes, const char* entry_point, const char* operand);
// x with its mantissa rounded to TF32's 10 bits (nearest, ties to even): what tensor cores multiply in TF32 mode.
float round_to_tf32(float x);

// ---- errors (runtime_api.cpp) --------------------------------------------------------------------------------------
// Records `detail` as the message of error e (cudaGetErrorString(e) returns it until another error is recorded),
// makes it the last error, and returns e.
cudaError_t record_error(cudaError_t e, const std::string& detail);
// Prints "layerseg emulated CUDA device: <message>" to stderr and aborts: faults that, on a GPU, kill the context.
[[noreturn]] void fatal(const std::string& message);
// A stream handle the runtime handed out (or the legacy default stream 0).
bool valid_stream(cudaStream_t s);

// ---- accounting (accounting.cpp) -----------------------------------------------------------------------------------
// Counts one call of a library or runtime entry point that does device work (cublasSgemm, cudaMemcpy2DAsync, ...).
void count_call(const char* entry_point);
// Counts one launch of registered kernel `kernel_id` (whose code is at `kernel`); returns its name for messages.
const std::string& count_launch(int kernel_id, const void* kernel);

}  // namespace ls::emu
