// kernels/emu/runtime_api.cpp — the CUDA runtime entry points of the emulated device (kernels/emu/include/
// cuda_runtime.h): one device, streams and events as in-order queues that run each operation at once, copies and
// fills that check both sides of every pointer against the copy's direction, and errors whose message says what was
// wrong (cudaGetErrorString of the last error returns that detail).
// LAYERSEG_EMU_DEVICE_ERROR=insufficient_driver|no_device|unavailable makes cudaGetDeviceCount fail as a broken GPU
// machine does, so the tests can check that a failing GPU does not look like no GPU.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>

#include "kernels/emu/emulator.h"

namespace ls::emu {
namespace {

struct ErrorState {
  cudaError_t last = cudaSuccess;
  cudaError_t detailed = cudaSuccess;  // the error `detail` describes
  std::string detail;
};
thread_local ErrorState g_errors;

struct Streams {
  std::mutex mu;
  std::set<cudaStream_t> streams;
  std::set<cudaEvent_t> events;
};
Streams& streams() {
  static Streams* s = new Streams;
  return *s;
}

const char* generic_message(cudaError_t e) {
  switch (e) {
    case cudaSuccess:
      return "no error";
    case cudaErrorInvalidValue:
      return "invalid argument";
    case cudaErrorMemoryAllocation:
      return "out of memory";
    case cudaErrorInitializationError:
      return "initialization error";
    case cudaErrorInvalidConfiguration:
      return "invalid configuration argument";
    case cudaErrorInvalidDevicePointer:
      return "invalid device pointer";
    case cudaErrorInvalidMemcpyDirection:
      return "invalid copy direction for memcpy";
    case cudaErrorInsufficientDriver:
      return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorDevicesUnavailable:
      return "CUDA-capable device(s) is/are busy or unavailable";
    case cudaErrorNoDevice:
      return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice:
      return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle:
      return "invalid resource handle";
    case cudaErrorIllegalAddress:
      return "an illegal memory access was encountered";
    case cudaErrorLaunchFailure:
      return "unspecified launch failure";
  }
  return "unknown error";
}

// Which side of a copy a pointer must be on, and whether [p, p + bytes) is there.
cudaError_t check_side(const void* p, size_t bytes, bool device, const char* who, const char* role) {
  if (bytes == 0) return cudaSuccess;
  if (device) {
    if (find_allocation(p, bytes, nullptr, nullptr)) return cudaSuccess;
    return record_error(cudaErrorInvalidValue, std::string(who) + ": " + role + " " + describe_address(p) + " is not " +
                                                   std::to_string(bytes) +
                                                   " bytes of device memory (a wrong direction, a host pointer, or "
                                                   "a range past an allocation's end)");
  }
  if (!find_allocation(p, 1, nullptr, nullptr)) return cudaSuccess;
  return record_error(cudaErrorInvalidValue, std::string(who) + ": " + role + " " + describe_address(p) +
                                                 " is device memory but the copy's direction says host memory");
}

bool on_device(const void* p) { return find_allocation(p, 1, nullptr, nullptr); }

cudaError_t direction(cudaMemcpyKind kind, const void* dst, const void* src, bool* dst_dev, bool* src_dev) {
  switch (kind) {
    case cudaMemcpyHostToHost:
      *dst_dev = false, *src_dev = false;
      return cudaSuccess;
    case cudaMemcpyHostToDevice:
      *dst_dev = true, *src_dev = false;
      return cudaSuccess;
    case cudaMemcpyDeviceToHost:
      *dst_dev = false, *src_dev = true;
      return cudaSuccess;
    case cudaMemcpyDeviceToDevice:
      *dst_dev = true, *src_dev = true;
      return cudaSuccess;
    case cudaMemcpyDefault:  // unified addressing: the pointers say where they are
      *dst_dev = on_device(dst), *src_dev = on_device(src);
      return cudaSuccess;
  }
  return record_error(cudaErrorInvalidMemcpyDirection, "unknown cudaMemcpyKind " + std::to_string(int(kind)));
}

}  // namespace

cudaError_t record_error(cudaError_t e, const std::string& detail) {
  g_errors.last = e;
  g_errors.detailed = e;
  g_errors.detail = std::string(generic_message(e)) + " (emulated device: " + detail + ")";
  return e;
}

void fatal(const std::string& message) {
  std::fprintf(stderr, "layerseg emulated CUDA device: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

bool valid_stream(cudaStream_t s) {
  if (s == nullptr) return true;
  std::lock_guard<std::mutex> lock(streams().mu);
  return streams().streams.count(s) > 0;
}

}  // namespace ls::emu

using namespace ls::emu;

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 0;
  if (const char* e = std::getenv("LAYERSEG_EMU_DEVICE_ERROR"); e != nullptr && *e != 0) {
    const std::string s = e;
    const cudaError_t err = s == "no_device"     ? cudaErrorNoDevice
                            : s == "unavailable" ? cudaErrorDevicesUnavailable
                                                 : cudaErrorInsufficientDriver;
    return record_error(err, "LAYERSEG_EMU_DEVICE_ERROR=" + s);
  }
  *count = 1;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device == 0) return cudaSuccess;
  return record_error(cudaErrorInvalidDevice,
                      "cudaSetDevice(" + std::to_string(device) + "): the emulator has device 0");
}

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return record_error(cudaErrorInvalidValue, "device " + std::to_string(device) + " does not exist");
  *prop = {};
  std::snprintf(prop->name, sizeof prop->name, "layerseg emulated CUDA device (kernels on the CPU)");
  prop->totalGlobalMem = size_t(16) << 30;
  prop->multiProcessorCount = 1;
  prop->major = 9;
  prop->minor = 0;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->sharedMemPerBlock = 48 * 1024;
  return cudaSuccess;
}

cudaError_t cudaGetLastError() {
  const cudaError_t e = g_errors.last;
  g_errors.last = cudaSuccess;
  return e;
}

const char* cudaGetErrorString(cudaError_t error) {
  return error == g_errors.detailed && !g_errors.detail.empty() ? g_errors.detail.c_str() : generic_message(error);
}

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  *ptr = device_malloc(bytes);
  if (*ptr == nullptr && bytes > 0)
    return record_error(cudaErrorMemoryAllocation, "cudaMalloc of " + std::to_string(bytes) + " bytes");
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (ptr == nullptr || device_free(ptr)) return cudaSuccess;
  return record_error(cudaErrorInvalidDevicePointer,
                      "cudaFree of " + describe_address(ptr) + ", which is not the start of a live allocation");
}

cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream) {
  bool dst_dev = false, src_dev = false;
  if (cudaError_t e = direction(kind, dst, src, &dst_dev, &src_dev)) return e;
  if (!valid_stream(stream))
    return record_error(cudaErrorInvalidResourceHandle, "cudaMemcpyAsync on an unknown stream");
  if (cudaError_t e = check_side(dst, bytes, dst_dev, "cudaMemcpyAsync", "destination")) return e;
  if (cudaError_t e = check_side(src, bytes, src_dev, "cudaMemcpyAsync", "source")) return e;
  count_call("cudaMemcpyAsync");
  DeviceAccess access("cudaMemcpyAsync", {dst, src});
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}

cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t stream) {
  if (height == 0 || width == 0) return cudaSuccess;
  if (width > dpitch || width > spitch)
    return record_error(cudaErrorInvalidValue, "cudaMemcpy2DAsync: width " + std::to_string(width) +
                                                   " exceeds a pitch (" + std::to_string(dpitch) + ", " +
                                                   std::to_string(spitch) + ")");
  bool dst_dev = false, src_dev = false;
  if (cudaError_t e = direction(kind, dst, src, &dst_dev, &src_dev)) return e;
  if (!valid_stream(stream))
    return record_error(cudaErrorInvalidResourceHandle, "cudaMemcpy2DAsync on an unknown stream");
  const size_t dst_span = dpitch * (height - 1) + width, src_span = spitch * (height - 1) + width;
  if (cudaError_t e = check_side(dst, dst_span, dst_dev, "cudaMemcpy2DAsync", "destination")) return e;
  if (cudaError_t e = check_side(src, src_span, src_dev, "cudaMemcpy2DAsync", "source")) return e;
  count_call("cudaMemcpy2DAsync");
  DeviceAccess access("cudaMemcpy2DAsync", {dst, src});
  for (size_t row = 0; row < height; ++row)
    std::memmove(static_cast<char*>(dst) + row * dpitch, static_cast<const char*>(src) + row * spitch, width);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream) {
  if (!valid_stream(stream))
    return record_error(cudaErrorInvalidResourceHandle, "cudaMemsetAsync on an unknown stream");
  if (cudaError_t e = check_side(ptr, bytes, true, "cudaMemsetAsync", "destination")) return e;
  count_call("cudaMemsetAsync");
  DeviceAccess access("cudaMemsetAsync", {ptr});
  std::memset(ptr, value, bytes);
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned int) {
  // A stream is a distinct handle; operations on it run at once, in issue order, which is a valid in-order schedule.
  *stream = reinterpret_cast<cudaStream_t>(new char);
  std::lock_guard<std::mutex> lock(streams().mu);
  streams().streams.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  if (!valid_stream(stream))
    return record_error(cudaErrorInvalidResourceHandle, "cudaStreamSynchronize: unknown stream");
  return cudaSuccess;
}

namespace {
struct EventTime {
  std::chrono::steady_clock::time_point at;
  bool recorded = false;
};
}  // namespace

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = reinterpret_cast<cudaEvent_t>(new EventTime);
  std::lock_guard<std::mutex> lock(streams().mu);
  streams().events.insert(*event);
  return cudaSuccess;
}

static EventTime* event_of(cudaEvent_t e) {
  std::lock_guard<std::mutex> lock(streams().mu);
  return streams().events.count(e) ? reinterpret_cast<EventTime*>(e) : nullptr;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
  EventTime* t = event_of(event);
  if (t == nullptr || !valid_stream(stream))
    return record_error(cudaErrorInvalidResourceHandle, "cudaEventRecord: unknown event or stream");
  t->at = std::chrono::steady_clock::now();
  t->recorded = true;
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  return event_of(event) ? cudaSuccess
                         : record_error(cudaErrorInvalidResourceHandle, "cudaEventSynchronize: unknown event");
}

cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  const EventTime *a = event_of(start), *b = event_of(end);
  if (a == nullptr || b == nullptr || !a->recorded || !b->recorded)
    return record_error(cudaErrorInvalidResourceHandle, "cudaEventElapsedTime: an event was not recorded");
  *ms = std::chrono::duration<float, std::milli>(b->at - a->at).count();
  return cudaSuccess;
}

cudaError_t cudaEventDestroy(cudaEvent_t event) {
  EventTime* t = event_of(event);
  if (t == nullptr) return record_error(cudaErrorInvalidResourceHandle, "cudaEventDestroy: unknown event");
  std::lock_guard<std::mutex> lock(streams().mu);
  streams().events.erase(event);
  delete t;
  return cudaSuccess;
}
