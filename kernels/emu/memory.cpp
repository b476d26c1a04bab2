// kernels/emu/memory.cpp — the emulated device's memory (kernels/emu/emulator.h): memory that is not host memory to
// the program, the way compute-sanitizer's memcheck sees a GPU's.
//  - Every cudaMalloc is its own mapping: [guard page][data pages][guard page]. The block ends where the rear guard
//    page starts, so the first byte past a block whose size is a multiple of 256 faults at once; the bytes between
//    the data pages' edges and the block (the 256-byte alignment slack) hold a pattern that require_intact_guards()
//    checks after every launch and library call. Fresh blocks are filled with 0xFF bytes (a NaN in every float).
//  - Data pages are PROT_NONE while host code runs; a DeviceAccess scope (a launch, a copy, a cuBLAS/cuDNN call)
//    opens the allocations its operands point into (a kernel's: every device address among its argument words). So a
//    host dereference of a device pointer faults, and a fault inside a scope is the device's. Opening only what an
//    activity can reach keeps it to a few mprotect calls, where opening every allocation cost seconds per test.
//  - A SIGSEGV handler (on its own stack: GPU threads run on small fiber stacks) turns a fault at one of these
//    addresses into a message naming the allocation, the offset and the activity (the kernel), then aborts.
//  - Freed blocks stay mapped and inaccessible for a while (64 MiB of quarantine), so a use after cudaFree faults.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

#include "kernels/emu/emulator.h"

namespace ls::emu {
namespace {

constexpr unsigned char kGuardByte = 0xA5, kFreshByte = 0xFF;
constexpr size_t kAlign = 256, kQuarantineBytes = size_t(64) << 20;

size_t page_size() {
  static const size_t p = size_t(sysconf(_SC_PAGESIZE));
  return p;
}

struct Block {
  char* map;    // the mapping: front guard page, data pages, rear guard page
  size_t data;  // bytes of data pages
  char* user;   // what cudaMalloc returned
  size_t size;  // what was asked for
  bool live;
  char* data_begin() const { return map + page_size(); }
  char* data_end() const { return data_begin() + data; }
  size_t map_bytes() const { return data + 2 * page_size(); }
};

struct Memory {
  std::recursive_mutex mu;
  std::map<const char*, Block> blocks;  // by mapping start: live and quarantined
  std::deque<const char*> quarantine;
  size_t quarantined_bytes = 0;
  int open_depth = 0;
  std::string activity;  // what a fault inside an open scope is blamed on

  void protect(const Block& b, bool open) {
    if (mprotect(b.data_begin(), b.data, open ? PROT_READ | PROT_WRITE : PROT_NONE) != 0)
      fatal(std::string("mprotect failed: ") + std::strerror(errno));
  }
  // The block whose mapping holds address a (guard pages included), or nullptr.
  const Block* mapping_of(const char* a) const {
    auto it = blocks.upper_bound(a);
    if (it == blocks.begin()) return nullptr;
    --it;
    return a < it->second.map + it->second.map_bytes() ? &it->second : nullptr;
  }
};
Memory& memory() {
  static Memory* m = new Memory;  // never destroyed: blocks may be freed during exit
  return *m;
}

// Where host pointers passed to kernels lead (kernels/emu/emulator.h: set_host_trap): an inaccessible reservation
// that starts on a 4 GiB boundary and spans 8 GiB. A trap address keeps the low 32 bits of the word it replaces, so a
// word that was a 4-byte member followed by padding keeps its member; the slack above 4 GiB absorbs a kernel's indexing
// past the end. The fault's low 32 bits then tell which of the launch's host pointers was dereferenced.
struct Traps {
  char* base = nullptr;
  int used = 0;
  struct Origin {
    uint64_t value;
    int arg;
    size_t offset;
  } origin[kTraps];
};
constexpr uint64_t kFourGiB = uint64_t(1) << 32;
Traps& traps() {
  static Traps* t = [] {
    auto* r = new Traps{};
    const size_t span = 2 * kFourGiB, reserve = 3 * kFourGiB;
    void* p = mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) fatal("cannot reserve the address range of the host-pointer traps");
    const uint64_t start = (reinterpret_cast<uint64_t>(p) + kFourGiB - 1) / kFourGiB * kFourGiB;
    r->base = reinterpret_cast<char*>(start);
    if (start > reinterpret_cast<uint64_t>(p)) munmap(p, start - reinterpret_cast<uint64_t>(p));
    munmap(r->base + span, reinterpret_cast<uint64_t>(p) + reserve - (start + span));
    return r;
  }();
  return *t;
}
// The launch's host pointer a fault at `a` stands for, or -1 when `a` is no trap address.
int trap_of(const char* a) {
  const Traps& t = traps();
  if (a < t.base || a >= t.base + 2 * kFourGiB) return -1;
  const uint64_t low = uint64_t(a - t.base);
  int best = -1;  // the pointer at or below the fault: a kernel indexes forward from what it was given
  for (int k = 0; k < t.used; ++k) {
    const uint64_t v = t.origin[k].value % kFourGiB;
    if (v <= low && (best < 0 || v > t.origin[best].value % kFourGiB)) best = k;
  }
  return best < 0 ? 0 : best;
}

void on_fault(int, siginfo_t*, void*);

void install_fault_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    static char alt_stack[64 * 1024];
    stack_t ss{};
    ss.ss_sp = alt_stack;
    ss.ss_size = sizeof(alt_stack);
    sigaltstack(&ss, nullptr);
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

std::string describe_in(const Block& b, const char* a) {
  char buf[256];
  if (!b.live)
    std::snprintf(buf, sizeof buf, "%p (offset %td of a %zu-byte allocation already freed with cudaFree)",
                  static_cast<const void*>(a), a - b.user, b.size);
  else if (a < b.user)
    std::snprintf(buf, sizeof buf, "%p (%td bytes before the start of a %zu-byte allocation)",
                  static_cast<const void*>(a), b.user - a, b.size);
  else if (a >= b.user + b.size)
    std::snprintf(buf, sizeof buf, "%p (%td bytes past the end of a %zu-byte allocation)", static_cast<const void*>(a),
                  a - (b.user + b.size), b.size);
  else
    std::snprintf(buf, sizeof buf, "%p (offset %td of a %zu-byte allocation)", static_cast<const void*>(a), a - b.user,
                  b.size);
  return buf;
}

// Runs on the alternate stack. Only faults at device addresses, or inside device activity, are the emulator's; any
// other fault gets the default action (the handler returns, the instruction faults again, the process dies as usual).
void on_fault(int sig, siginfo_t* info, void*) {
  Memory& m = memory();
  const char* a = static_cast<const char*>(info->si_addr);
  if (const int k = trap_of(a); k >= 0 && m.open_depth > 0) {
    const Traps::Origin& o = traps().origin[k];
    char buf[160];
    std::snprintf(buf, sizeof buf, " dereferenced the host pointer 0x%" PRIx64 " passed in its argument %d (byte %zu)",
                  o.value, o.arg, o.offset);
    const std::string msg =
        "layerseg emulated CUDA device: " + m.activity + buf + "; a kernel may only touch device memory\n";
    if (write(STDERR_FILENO, msg.data(), msg.size()) < 0) {
    }
    signal(SIGABRT, SIG_DFL);
    abort();
  }
  const Block* b = m.mapping_of(a);
  if (b == nullptr && m.open_depth == 0) {
    signal(sig, SIG_DFL);
    return;
  }
  std::string what;
  if (b == nullptr)
    what = "unmapped address " + describe_address(a);
  else
    what = describe_in(*b, a);
  if (b != nullptr && b->live && a >= b->user && a < b->user + b->size && m.open_depth > 0)
    what += ", device memory that no argument of the activity points into";
  const std::string who = m.open_depth > 0 ? m.activity : std::string("host code (device memory is not host memory)");
  const std::string msg = "layerseg emulated CUDA device: invalid access by " + who + " at " + what + "\n";
  if (write(STDERR_FILENO, msg.data(), msg.size()) < 0) {
  }
  signal(SIGABRT, SIG_DFL);
  abort();
}

}  // namespace

void* device_malloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  install_fault_handler();
  Memory& m = memory();
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  const size_t page = page_size(), data = (bytes + page - 1) / page * page;
  void* map = mmap(nullptr, data + 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (map == MAP_FAILED) return nullptr;
  Block b{static_cast<char*>(map), data, nullptr, bytes, true};
  const uintptr_t end = reinterpret_cast<uintptr_t>(b.data_end());
  b.user = reinterpret_cast<char*>((end - bytes) / kAlign * kAlign);
  m.protect(b, true);
  std::memset(b.data_begin(), kGuardByte, size_t(b.user - b.data_begin()));
  std::memset(b.user, kFreshByte, bytes);
  std::memset(b.user + bytes, kGuardByte, size_t(b.data_end() - (b.user + bytes)));
  m.protect(b, false);
  m.blocks.emplace(b.map, b);
  return b.user;
}

bool device_free(void* p) {
  Memory& m = memory();
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  const Block* found = m.mapping_of(static_cast<const char*>(p));
  if (found == nullptr || !found->live || found->user != p) return false;
  Block& b = m.blocks.at(found->map);
  b.live = false;
  m.quarantine.push_back(b.map);
  m.quarantined_bytes += b.map_bytes();
  while (m.quarantined_bytes > kQuarantineBytes) {
    const Block& old = m.blocks.at(m.quarantine.front());
    m.quarantined_bytes -= old.map_bytes();
    munmap(old.map, old.map_bytes());
    m.blocks.erase(m.quarantine.front());
    m.quarantine.pop_front();
  }
  return true;
}

bool find_allocation(const void* p, size_t bytes, const char** start, size_t* size) {
  Memory& m = memory();
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  const char* a = static_cast<const char*>(p);
  const Block* b = m.mapping_of(a);
  if (b == nullptr || !b->live || a < b->user || a + bytes > b->user + b->size) return false;
  if (start) *start = b->user;
  if (size) *size = b->size;
  return true;
}

std::string describe_address(const void* p) {
  Memory& m = memory();
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  const char* a = static_cast<const char*>(p);
  if (const Block* b = m.mapping_of(a)) return describe_in(*b, a);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%p (%s)", p,
                is_host_address(reinterpret_cast<uint64_t>(p)) ? "host memory" : "unmapped");
  return buf;
}

bool is_device_address(uint64_t value) {
  Memory& m = memory();
  std::lock_guard<std::recursive_mutex> lock(m.mu);
  const Block* b = m.mapping_of(reinterpret_cast<const char*>(value));
  return b != nullptr && b->live;
}

bool is_host_address(uint64_t value) {
  // User-space addresses of x86-64/AArch64 Linux, not device memory, and mapped (msync: ENOMEM when not).
  if (value < 4096 || value >= (uint64_t(1) << 47)) return false;
  Memory& m = memory();
  {
    std::lock_guard<std::recursive_mutex> lock(m.mu);
    if (m.mapping_of(reinterpret_cast<const char*>(value)) != nullptr) return false;
    if (trap_of(reinterpret_cast<const char*>(value)) >= 0) return false;
  }
  void* page = reinterpret_cast<void*>(value / page_size() * page_size());
  return !(msync(page, 1, MS_ASYNC) != 0 && errno == ENOMEM);
}

uint64_t set_host_trap(int k, uint64_t value, int arg, size_t offset) {
  Traps& t = traps();
  t.origin[k] = {value, arg, offset};
  t.used = k + 1;
  return reinterpret_cast<uint64_t>(t.base) + value % kFourGiB;
}

void require_device_range(const void* p, size_t bytes, const char* entry_point, const char* operand) {
  if (bytes == 0 || find_allocation(p, bytes, nullptr, nullptr)) return;
  fatal(std::string(entry_point) + ": operand " + operand + " needs " + std::to_string(bytes) +
        " bytes of device memory at " + describe_address(p) +
        (find_allocation(p, 1, nullptr, nullptr) ? ", which runs past the allocation's end" : ""));
}

float round_to_tf32(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0xfffu + ((u >> 13) & 1u)) & ~0x1fffu;  // not Inf/NaN
  std::memcpy(&x, &u, 4);
  return x;
}

DeviceAccess::DeviceAccess(std::string activity, std::initializer_list<const void*> reach)
    : DeviceAccess(std::move(activity), std::vector<const void*>(reach)) {}

DeviceAccess::DeviceAccess(std::string activity, const std::vector<const void*>& reach) {
  Memory& m = memory();
  m.mu.lock();  // held for the scope: one device activity at a time, as the one in-order stream runs them
  if (m.open_depth++ == 0) m.activity = std::move(activity);
  for (const void* p : reach) {
    const Block* b = m.mapping_of(static_cast<const char*>(p));
    if (b == nullptr || !b->live || std::find(opened_.begin(), opened_.end(), b->map) != opened_.end()) continue;
    m.protect(*b, true);
    opened_.push_back(b->map);
  }
}

void DeviceAccess::require_intact_guards() const {
  Memory& m = memory();
  for (const char* map : opened_) {
    const Block& b = m.blocks.at(map);
    const char* bad = nullptr;
    for (const char* q = b.data_begin(); q < b.user && !bad; ++q)
      if (static_cast<unsigned char>(*q) != kGuardByte) bad = q;
    for (const char* q = b.user + b.size; q < b.data_end() && !bad; ++q)
      if (static_cast<unsigned char>(*q) != kGuardByte) bad = q;
    if (bad) fatal("out-of-bounds a write to " + describe_in(b, bad) + " by " + m.activity);
  }
}

DeviceAccess::~DeviceAccess() {
  Memory& m = memory();
  for (const char* map : opened_) m.protect(m.blocks.at(map), false);
  --m.open_depth;
  m.mu.unlock();
}

}  // namespace ls::emu
