// core/device.h — where a tensor's bytes live, and the four memory primitives every tensor uses.
// CPU memory is 64-byte aligned host memory; CUDA memory comes from the CUDA backend's caching allocator
// (kernels/cuda/runtime.h) when the build has it. Without it, asking for CUDA is a clear error.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ls {

enum class Device : uint8_t { CPU, CUDA };
const char* device_name(Device d);
Device parse_device(const char* name);  // "cpu" | "cuda"; anything else throws

bool cuda_built();      // the binary contains the CUDA backend
bool cuda_available();  // ... and a device is present
// Why cuda_available() is false ("" when it is true): built without CUDA, no device, or the error of a failing one.
std::string cuda_status();

// The GPU this process uses when several share a machine (a rank of a data-parallel job): local rank modulo the count.
void select_cuda_device(int local_rank);

void* device_alloc(Device d, size_t bytes);
void device_free(Device d, void* p);
void device_copy(void* dst, Device dst_dev, const void* src, Device src_dev, size_t bytes);
void device_zero(Device d, void* p, size_t bytes);
void device_synchronize(Device d);

[[noreturn]] void fail_no_cuda(const char* what);

}  // namespace ls
