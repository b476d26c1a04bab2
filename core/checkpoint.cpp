// core/checkpoint.cpp — the safetensors writer and validating reader of core/checkpoint.h.
// The reader trusts nothing in the file: every length, offset, shape and checksum is checked before a byte of
// tensor data is used, because a truncated or damaged checkpoint must fail loudly, not resume a run with garbage.
#include "core/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "kernels/error.h"

namespace ls {

using json = nlohmann::json;

// Tensor bytes are copied as they are in memory; safetensors data is little-endian.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "checkpoints assume a little-endian host");

static const char* const kFormat = "layerseg.format";
static const char* const kChecksum = "layerseg.checksum";
static const char* const kHeaderChecksum = "layerseg.header_checksum";

static std::string fnv1a64(const char* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ uint8_t(p[i])) * 0x100000001b3ull;
  return fmt::format("{:016x}", h);
}

// The header's checksum covers its parsed content in nlohmann's canonical dump (sorted keys, no spaces), minus the
// checksum entry itself: any change that alters what the header says changes it; padding or spacing does not.
static std::string header_checksum(json header) {
  header["__metadata__"].erase(kHeaderChecksum);
  const std::string s = header.dump();
  return fnv1a64(s.data(), s.size());
}

// ---- writing ----------------------------------------------------------------------------------------------------

// The whole file in memory: header length, padded header, data.
static std::string serialize(const std::string& path, const NamedTensors& tensors,
                             const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  std::string data;
  for (const auto& [name, t] : tensors) {
    LS_CHECK(name != "__metadata__" && !header.contains(name), "checkpoint {}: invalid or duplicate tensor name '{}'",
             path, name);
    LS_CHECK(t.defined(), "checkpoint {}: tensor '{}' is undefined", path, name);
    const std::vector<float> v = t.to_vector();
    const size_t begin = data.size();
    data.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    header[name] = {{"dtype", "F32"}, {"shape", t.shape()}, {"data_offsets", {begin, data.size()}}};
  }
  json meta = json::object();
  for (const auto& [k, v] : metadata) {
    LS_CHECK(k != kFormat && k != kChecksum && k != kHeaderChecksum,
             "checkpoint {}: metadata key '{}' is reserved for the writer", path, k);
    meta[k] = v;
  }
  meta[kFormat] = "1";
  meta[kChecksum] = fnv1a64(data.data(), data.size());
  header["__metadata__"] = meta;
  header["__metadata__"][kHeaderChecksum] = header_checksum(header);

  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // as the reference writer: data starts 8-byte aligned
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char(uint64_t(text.size()) >> (8 * i));
  return out + text + data;
}

// Test hooks of the fault-injection suite (tests/test_reliability.cpp), read at every save so one process can be
// told to fail: LAYERSEG_FAULT_ENOSPC=checkpoint makes the data write fail as a full disk does, and
// LAYERSEG_TEST_CHECKPOINT_PAUSE_MS=N sleeps halfway through the data write, so that a SIGKILL lands while the
// temp file is half written. Unset, they cost one getenv per checkpoint.
static bool injected_enospc() {
  const char* v = std::getenv("LAYERSEG_FAULT_ENOSPC");
  return v && std::strcmp(v, "checkpoint") == 0;
}
static void pause_for_tests() {
  if (const char* ms = std::getenv("LAYERSEG_TEST_CHECKPOINT_PAUSE_MS")) ::usleep(useconds_t(std::atoi(ms)) * 1000);
}

static std::string parent_dir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void save_checkpoint(const std::string& path, const NamedTensors& tensors,
                     const std::map<std::string, std::string>& metadata) {
  std::string bytes;
  try {
    bytes = serialize(path, tensors, metadata);
  } catch (const json::exception& e) {  // e.g. a name or metadata value that is not valid UTF-8
    LS_FAIL("checkpoint {}: cannot encode the header: {}", path, e.what());
  }
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  LS_CHECK(fd >= 0, "checkpoint {}: cannot create {}: {}", path, tmp, std::strerror(errno));
  // Until the rename, the target is untouched; on any failure the temp file goes away too.
  auto fail = [&](const char* what) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    LS_FAIL("checkpoint {}: {} failed: {}", path, what, std::strerror(err));
  };
  // Two halves, so that the test pause sits between them.
  const size_t half = bytes.size() / 2;
  for (size_t done = 0; done < bytes.size();) {
    const size_t end = done < half ? half : bytes.size();
    const ssize_t n = injected_enospc() ? (errno = ENOSPC, -1) : ::write(fd, bytes.data() + done, end - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("write");
    done += size_t(n);
    if (done == half) pause_for_tests();
  }
  if (::fsync(fd) != 0) fail("fsync");
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) fail("close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename");
  // The rename is durable only once the directory entry is; EINVAL: the filesystem cannot sync directories.
  const std::string dir = parent_dir(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  LS_CHECK(dfd >= 0, "checkpoint {}: written, but cannot open directory {} to sync it: {}", path, dir,
           std::strerror(errno));
  const bool synced = ::fsync(dfd) == 0 || errno == EINVAL;
  const int err = errno;
  ::close(dfd);
  LS_CHECK(synced, "checkpoint {}: written, but syncing directory {} failed: {}", path, dir, std::strerror(err));
}

// ---- reading ----------------------------------------------------------------------------------------------------

static std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  LS_CHECK(f.good(), "checkpoint {}: cannot open: {}", path, std::strerror(errno));
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  LS_CHECK(!f.bad(), "checkpoint {}: read error", path);
  return s;
}

static std::map<std::string, std::string> parse_metadata(const std::string& path, const json& header) {
  std::map<std::string, std::string> meta;
  if (!header.contains("__metadata__")) return meta;
  const json& m = header["__metadata__"];
  LS_CHECK(m.is_object(), "checkpoint {}: __metadata__ is not an object", path);
  for (const auto& [k, v] : m.items()) {
    LS_CHECK(v.is_string(), "checkpoint {}: metadata '{}' is not a string", path, k);
    meta[k] = v.get<std::string>();
  }
  // Files of this writer carry both checksums; a file from another safetensors writer may carry none.
  if (meta.count(kFormat)) {
    LS_CHECK(meta[kFormat] == "1", "checkpoint {}: unsupported layerseg.format '{}'", path, meta[kFormat]);
    LS_CHECK(meta.count(kChecksum) && meta.count(kHeaderChecksum), "checkpoint {}: checksum entries are missing", path);
  }
  if (meta.count(kHeaderChecksum))
    LS_CHECK(meta[kHeaderChecksum] == header_checksum(header),
             "checkpoint {}: header checksum mismatch (the header is damaged)", path);
  return meta;
}

struct Entry {
  std::string name;
  Shape shape;
  uint64_t begin, end;
};

static Entry parse_entry(const std::string& path, const std::string& name, const json& e, uint64_t data_bytes) {
  LS_CHECK(e.is_object() && e.contains("dtype") && e.contains("shape") && e.contains("data_offsets"),
           "checkpoint {}: tensor '{}': expected an object with dtype, shape and data_offsets", path, name);
  LS_CHECK(e["dtype"].is_string(), "checkpoint {}: tensor '{}': dtype is not a string", path, name);
  const std::string dtype = e["dtype"].get<std::string>();
  LS_CHECK(dtype == "F32", "checkpoint {}: tensor '{}': unsupported dtype {} (only F32)", path, name, dtype);
  const json& shape = e["shape"];
  LS_CHECK(shape.is_array() && shape.size() <= 4, "checkpoint {}: tensor '{}': shape must be an array of up to 4 dims",
           path, name);
  Entry out{name, {}, 0, 0};
  uint64_t numel = 1;
  for (const json& d : shape) {
    LS_CHECK(d.is_number_unsigned(), "checkpoint {}: tensor '{}': shape {} has a non-integer or negative dim", path,
             name, shape.dump());
    const uint64_t n = d.get<uint64_t>();
    LS_CHECK(!__builtin_mul_overflow(numel, n, &numel), "checkpoint {}: tensor '{}': shape {} overflows", path, name,
             shape.dump());
    out.shape.push_back(int64_t(n));
  }
  LS_CHECK(numel <= data_bytes / sizeof(float), "checkpoint {}: tensor '{}': shape {} is larger than the data section",
           path, name, shape.dump());
  const json& off = e["data_offsets"];
  LS_CHECK(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
           "checkpoint {}: tensor '{}': data_offsets must be two non-negative integers", path, name);
  out.begin = off[0].get<uint64_t>(), out.end = off[1].get<uint64_t>();
  LS_CHECK(out.begin <= out.end && out.end <= data_bytes,
           "checkpoint {}: tensor '{}': data_offsets [{}, {}] outside the {}-byte data section", path, name, out.begin,
           out.end, data_bytes);
  LS_CHECK(out.end - out.begin == numel * sizeof(float),
           "checkpoint {}: tensor '{}': data_offsets [{}, {}] hold {} bytes but shape {} needs {}", path, name,
           out.begin, out.end, out.end - out.begin, shape.dump(), numel * sizeof(float));
  return out;
}

Checkpoint load_checkpoint(const std::string& path) {
  const std::string file = read_file(path);
  LS_CHECK(file.size() >= 8, "checkpoint {}: {} bytes, shorter than the 8-byte header length (truncated?)", path,
           file.size());
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(file[size_t(i)])) << (8 * i);
  LS_CHECK(n <= file.size() - 8, "checkpoint {}: header length {} exceeds the {} bytes after it (truncated?)", path, n,
           file.size() - 8);
  const json header = json::parse(file.begin() + 8, file.begin() + 8 + std::ptrdiff_t(n), nullptr, false);
  LS_CHECK(!header.is_discarded() && header.is_object(), "checkpoint {}: the header is not a JSON object", path);

  Checkpoint ck;
  ck.metadata = parse_metadata(path, header);
  const char* data = file.data() + 8 + n;
  const uint64_t data_bytes = file.size() - 8 - n;
  std::vector<Entry> entries;
  for (const auto& [name, e] : header.items())
    if (name != "__metadata__") entries.push_back(parse_entry(path, name, e, data_bytes));

  // As the reference reader: tensors tile the data section exactly, without gaps or overlaps.
  // (begin, end) order puts an empty tensor before a non-empty one starting at the same byte.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  uint64_t at = 0;
  for (const Entry& e : entries) {
    LS_CHECK(e.begin == at, "checkpoint {}: tensor '{}' starts at byte {}, expected {} ({})", path, e.name, e.begin, at,
             e.begin < at ? "overlaps the previous tensor" : "leaves a gap before it");
    at = e.end;
  }
  LS_CHECK(at == data_bytes, "checkpoint {}: the tensors cover {} of the {} data bytes (truncated or padded?)", path,
           at, data_bytes);
  if (ck.metadata.count(kChecksum))
    LS_CHECK(ck.metadata[kChecksum] == fnv1a64(data, data_bytes),
             "checkpoint {}: data checksum mismatch (the tensor data is damaged)", path);

  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape);
    std::memcpy(t.data(), data + e.begin, e.end - e.begin);
    ck.tensors.emplace(e.name, t);
  }
  return ck;
}

// ---- helpers ----------------------------------------------------------------------------------------------------

void load_into(const Checkpoint& ck, const NamedTensors& dst, const std::string& path) {
  std::vector<const Tensor*> src;
  for (const auto& [name, t] : dst) {
    auto it = ck.tensors.find(name);
    LS_CHECK(it != ck.tensors.end(), "checkpoint {}: missing tensor '{}'", path, name);
    LS_CHECK(it->second.shape() == t.shape(), "checkpoint {}: tensor '{}' has shape {} in the file but {} in the model",
             path, name, shape_str(it->second.shape()), shape_str(t.shape()));
    src.push_back(&it->second);
  }
  for (size_t i = 0; i < dst.size(); ++i) {
    Tensor t = dst[i].second;
    t.copy_from(*src[i]);
  }
}

NamedTensors module_state(const Module& m) {
  NamedTensors out = m.named_parameters();
  for (auto& b : m.named_buffers()) out.push_back(b);
  return out;
}

void copy_module_state(const Module& from, Module& to) {
  const NamedTensors src = module_state(from);
  NamedTensors dst = module_state(to);
  LS_CHECK(src.size() == dst.size(), "copy_module_state: {} tensors into {}", src.size(), dst.size());
  for (size_t i = 0; i < src.size(); ++i) {
    LS_CHECK(src[i].first == dst[i].first, "copy_module_state: '{}' into '{}'", src[i].first, dst[i].first);
    dst[i].second.copy_from(src[i].second);
  }
}

NamedTensors with_prefix(const std::string& prefix, const NamedTensors& tensors) {
  NamedTensors out;
  for (const auto& [name, t] : tensors) out.emplace_back(prefix + name, t);
  return out;
}

NamedTensors strip_prefix(const std::string& prefix, const std::map<std::string, Tensor>& tensors) {
  NamedTensors out;
  for (const auto& [name, t] : tensors)
    if (name.compare(0, prefix.size(), prefix) == 0) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

}  // namespace ls
