// tests/test_checkpoint.cpp — safetensors checkpoints (core/checkpoint.h): bit-exact round trips, the file parsed by
// an independent minimal reader, rejection of truncated, damaged and malformed files (every error names the file),
// load_into by name, atomic saves that leave nothing behind on failure, and Adam state through a file.
//   layerseg_tests --gtest_filter='Checkpoint*'
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/checkpoint.h"
#include "kernels/error.h"
#include "core/optim.h"
#include "core/rng.h"
#include "tests/error_message.h"

namespace ls {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "layerseg_ckpt_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir_)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

std::string read_bytes(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), std::streamsize(bytes.size()));
}

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Tensors with every awkward float: NaN payloads of both signs, infinities, denormals, −0, extremes; a scalar, an
// empty and a 4-D tensor.
NamedTensors awkward_tensors() {
  const float inf = std::numeric_limits<float>::infinity();
  return {
      {"layer.weight",
       Tensor::from_vector({2, 4}, {from_bits(0x7fc12345), from_bits(0xffa00001), inf, -inf, from_bits(0x00000001),
                                    from_bits(0x807fffff), -0.f, std::numeric_limits<float>::max()})},
      {"step_scale", Tensor::scalar(0.25f)},
      {"empty", Tensor::zeros({0, 3})},
      {"deep.conv.kernel", Tensor::from_vector({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})},
  };
}

const std::map<std::string, std::string> kMeta = {
    {"config", "{\"lr\": 2e-4, \"name\": \"ünïcode \\\"quoted\\\"\\n\"}"}, {"step", "1000"}, {"rng", "42:1234567"}};

TEST_F(CheckpointTest, RoundTripIsBitExact) {
  const NamedTensors ts = awkward_tensors();
  save_checkpoint(path("a.safetensors"), ts, kMeta);
  const Checkpoint ck = load_checkpoint(path("a.safetensors"));
  ASSERT_EQ(ck.tensors.size(), ts.size());
  for (const auto& [name, t] : ts) {
    ASSERT_TRUE(ck.tensors.count(name)) << name;
    const Tensor& got = ck.tensors.at(name);
    EXPECT_EQ(got.shape(), t.shape()) << name;
    const std::vector<float> a = t.to_vector(), b = got.to_vector();
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(bits(a[i]), bits(b[i])) << name << "[" << i << "]";
  }
  for (const auto& [k, v] : kMeta) EXPECT_EQ(ck.metadata.at(k), v) << k;
  EXPECT_EQ(ck.metadata.at("layerseg.format"), "1");
  EXPECT_EQ(ck.metadata.at("layerseg.checksum").size(), 16u);
  EXPECT_EQ(listing(), std::vector<std::string>{"a.safetensors"});  // no temp file left
}

// A minimal reader written from the safetensors format description alone: what any other reader would see.
TEST_F(CheckpointTest, FileIsValidSafetensors) {
  const NamedTensors ts = awkward_tensors();
  save_checkpoint(path("a.safetensors"), ts, kMeta);
  const std::string file = read_bytes(path("a.safetensors"));
  ASSERT_GE(file.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(file[size_t(i)]);
  ASSERT_LE(8 + n, file.size());
  EXPECT_EQ(n % 8, 0u);  // padded as the reference writer pads
  const json header = json::parse(file.substr(8, n));
  const std::string data = file.substr(8 + n);
  for (const auto& [name, t] : ts) {
    const json& e = header.at(name);
    EXPECT_EQ(e.at("dtype"), "F32");
    EXPECT_EQ(e.at("shape").get<Shape>(), t.shape());
    const uint64_t begin = e.at("data_offsets")[0], end = e.at("data_offsets")[1];
    const std::vector<float> v = t.to_vector();
    ASSERT_EQ(end - begin, v.size() * 4) << name;
    EXPECT_EQ(data.substr(begin, end - begin), std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
  }
  EXPECT_EQ(header.at("__metadata__").at("step"), "1000");
  EXPECT_EQ(header.size(), ts.size() + 1);
}

// Loads must fail with ls::Error naming the file (and whatever else `also` asks for).
void expect_rejected(const std::string& p, const std::string& also = "") {
  try {
    load_checkpoint(p);
    ADD_FAILURE() << p << " loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(also), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointTest, TruncationIsRejected) {
  save_checkpoint(path("a.safetensors"), awkward_tensors(), kMeta);
  const std::string file = read_bytes(path("a.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(file[size_t(i)]);
  for (size_t keep : {size_t(0), size_t(4), size_t(8), size_t(8 + n / 2), size_t(8 + n + (file.size() - 8 - n) / 2),
                      file.size() - 1}) {
    const std::string p = path("cut" + std::to_string(keep) + ".safetensors");
    write_bytes(p, file.substr(0, keep));
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(file.size()) + " bytes");
    expect_rejected(p);
  }
}

TEST_F(CheckpointTest, FlippedDataByteIsRejected) {
  save_checkpoint(path("a.safetensors"), awkward_tensors(), kMeta);
  std::string file = read_bytes(path("a.safetensors"));
  file[file.size() - 5] ^= 0x10;  // inside "deep.conv.kernel"'s bytes
  write_bytes(path("b.safetensors"), file);
  expect_rejected(path("b.safetensors"), "checksum");
}

// Every single-byte change of the length field or the header — a tensor name, a shape, an offset, a metadata
// value, a checksum, the padding — must be caught, not only the ones that break the JSON.
TEST_F(CheckpointTest, FlippedHeaderByteIsRejected) {
  save_checkpoint(path("a.safetensors"), awkward_tensors(), kMeta);
  const std::string file = read_bytes(path("a.safetensors"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | uint8_t(file[size_t(i)]);
  const std::string p = path("b.safetensors");
  for (size_t at = 0; at < 8 + n; ++at) {
    std::string bad = file;
    bad[at] ^= 0x01;
    write_bytes(p, bad);
    SCOPED_TRACE("byte " + std::to_string(at) + " ('" + std::string(1, file[at]) + "')");
    expect_rejected(p);
  }
}

// Malformed files from other writers (no layerseg checksums): each structural rule on its own.
TEST_F(CheckpointTest, MalformedHeadersAreRejected) {
  auto raw = [&](const std::string& name, const std::string& header, size_t data_bytes) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[size_t(i)] = char(uint64_t(header.size()) >> (8 * i));
    write_bytes(path(name), out + header + std::string(data_bytes, '\0'));
    return path(name);
  };
  const std::string ok = R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(load_checkpoint(raw("ok.safetensors", ok, 8)).tensors.at("t").shape(), Shape{2});  // the baseline loads

  expect_rejected(raw("json.safetensors", R"({"t":{"dtype":"F32",)", 8), "JSON");
  expect_rejected(raw("dtype.safetensors", R"({"t":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4),
                  "'t': unsupported dtype F16");
  expect_rejected(raw("range.safetensors", R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "'t'");
  expect_rejected(raw("shape.safetensors", R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "'t'");
  expect_rejected(raw("neg.safetensors", R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "'t'");
  expect_rejected(raw("rank.safetensors", R"({"t":{"dtype":"F32","shape":[1,1,1,1,2],"data_offsets":[0,8]}})", 8),
                  "'t'");
  expect_rejected(raw("overlap.safetensors",
                      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                      12),
                  "overlaps");
  expect_rejected(raw("gap.safetensors", R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8), "gap");
  expect_rejected(raw("long.safetensors", ok, 12), "cover");
  expect_rejected(raw("meta.safetensors", R"({"__metadata__":{"step":3}})", 0), "step");
}

struct Pair : Module {
  explicit Pair(Rng& rng) {
    weight = register_parameter("weight", Tensor::normal({2, 3}, rng));
    stat = register_buffer("stat", Tensor::normal({3}, rng));
  }
  Tensor weight, stat;
};

TEST_F(CheckpointTest, LoadIntoCopiesByName) {
  Rng rng(1);
  Pair a(rng), b(rng);
  save_checkpoint(path("a.safetensors"), with_prefix("g.", module_state(a)), {});
  const Checkpoint ck = load_checkpoint(path("a.safetensors"));
  EXPECT_EQ(ck.tensors.count("g.stat"), 1u);  // buffers travel with parameters
  ASSERT_NE(a.weight.to_vector(), b.weight.to_vector());
  load_into(ck, with_prefix("g.", module_state(b)), path("a.safetensors"));
  EXPECT_EQ(b.weight.to_vector(), a.weight.to_vector());
  EXPECT_EQ(b.stat.to_vector(), a.stat.to_vector());
}

TEST_F(CheckpointTest, LoadIntoNamesMissingTensorsAndShapeMismatches) {
  Rng rng(1);
  Pair a(rng);
  const std::string p = path("a.safetensors");
  save_checkpoint(p, {{"weight", Tensor::zeros({3, 2})}}, {});
  const Checkpoint ck = load_checkpoint(p);
  const std::vector<float> before = a.weight.to_vector();

  const std::string missing = test::error_message([&] { load_into(ck, {{"stat", a.stat}}, p); });
  EXPECT_NE(missing.find(p), std::string::npos) << missing;
  EXPECT_NE(missing.find("missing tensor 'stat'"), std::string::npos) << missing;

  const std::string shape = test::error_message([&] { load_into(ck, {{"weight", a.weight}}, p); });
  for (const char* part : {p.c_str(), "'weight'", "[3, 2]", "[2, 3]"})
    EXPECT_NE(shape.find(part), std::string::npos) << part << " not in: " << shape;
  EXPECT_EQ(a.weight.to_vector(), before);  // nothing copied
}

TEST_F(CheckpointTest, FailedSaveLeavesNothing) {
  const NamedTensors ts = awkward_tensors();
  // The target is a non-empty directory: the temp file is written, then the rename fails.
  fs::create_directory(path("taken.safetensors"));
  write_bytes(path("taken.safetensors") + "/keep", "x");
  const std::string err = test::error_message([&] { save_checkpoint(path("taken.safetensors"), ts, {}); });
  EXPECT_NE(err.find(path("taken.safetensors")), std::string::npos) << err;
  EXPECT_TRUE(fs::is_directory(path("taken.safetensors")));
  // The parent directory does not exist: nothing can be created.
  EXPECT_THROW(save_checkpoint(path("nodir/x.safetensors"), ts, {}), Error);
  EXPECT_EQ(listing(), (std::vector<std::string>{"keep", "taken.safetensors"}));

  // A read-only directory (root ignores permissions, so only checked as a normal user).
  if (::geteuid() != 0) {
    fs::create_directory(path("ro"));
    fs::permissions(path("ro"), fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_THROW(save_checkpoint(path("ro/x.safetensors"), ts, {}), Error);
    EXPECT_TRUE(fs::is_empty(path("ro")));
    fs::permissions(path("ro"), fs::perms::owner_all);
  }
  // Caller mistakes are caught before anything is written.
  EXPECT_THROW(save_checkpoint(path("x.safetensors"), {{"a", Tensor()}}, {}), Error);
  EXPECT_THROW(save_checkpoint(path("x.safetensors"), {{"a", Tensor::zeros({1})}, {"a", Tensor::zeros({1})}}, {}),
               Error);
  EXPECT_THROW(save_checkpoint(path("x.safetensors"), {}, {{"layerseg.checksum", "0"}}), Error);
  EXPECT_THROW(save_checkpoint(path("x.safetensors"), {}, {{"bytes", "\xff\xfe"}}), Error);  // not UTF-8
  EXPECT_FALSE(fs::exists(path("x.safetensors")));
}

// The old file is replaced by a rename, never rewritten in place: a reader that opened it before the save still sees
// the complete old checkpoint, and the path shows the complete new one.
TEST_F(CheckpointTest, ExistingCheckpointIsReplacedAtomically) {
  const std::string p = path("a.safetensors");
  save_checkpoint(p, {{"v", Tensor::full({1000}, 1.f)}}, {{"step", "1"}});
  const std::string old_bytes = read_bytes(p);
  std::ifstream old_reader(p, std::ios::binary);
  save_checkpoint(p, {{"v", Tensor::full({1000}, 2.f)}}, {{"step", "2"}});
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(old_reader)), std::istreambuf_iterator<char>()), old_bytes);
  const Checkpoint ck = load_checkpoint(p);
  EXPECT_EQ(ck.metadata.at("step"), "2");
  EXPECT_EQ(ck.tensors.at("v").to_vector(), std::vector<float>(1000, 2.f));
  EXPECT_EQ(listing(), std::vector<std::string>{"a.safetensors"});
}

// Adam state and the model in one file, told apart by prefixes, resume bit-identically.
TEST_F(CheckpointTest, AdamStateRoundTripsThroughAFile) {
  Rng rng(2);
  Pair m(rng);
  Adam opt(m.named_parameters());
  auto train = [](Pair& model, Adam& o, int from, int to) {
    for (int t = from; t < to; ++t) {
      Rng g(50 + uint64_t(t));
      model.weight.set_grad(Tensor::normal(model.weight.shape(), g));
      o.step();
    }
  };
  train(m, opt, 0, 4);
  const std::string p = path("run.safetensors");
  NamedTensors all = with_prefix("model.", module_state(m));
  for (auto& e : with_prefix("adam.", opt.state())) all.push_back(e);
  save_checkpoint(p, all, {{"step", "4"}});
  train(m, opt, 4, 8);

  Rng other(3);
  Pair r(other);
  Adam ropt(r.named_parameters());
  const Checkpoint ck = load_checkpoint(p);
  load_into(ck, with_prefix("model.", module_state(r)), p);
  ropt.load_state(strip_prefix("adam.", ck.tensors));
  EXPECT_EQ(ropt.step_count(), 4);
  train(r, ropt, 4, 8);
  EXPECT_EQ(r.weight.to_vector(), m.weight.to_vector());
}

}  // namespace
}  // namespace ls
