// data/dataset.cpp — folder and CUB-200-2011 loaders of data/dataset.h; decoding runs on all cores, once.
#include "data/dataset.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "kernels/error.h"
#include "kernels/parallel.h"

namespace fs = std::filesystem;

namespace ls::data {

// ---- memory ---------------------------------------------------------------------------------------------------

namespace {
bool g_memory_check = true;
}

void set_memory_check(bool on) { g_memory_check = on; }

int64_t available_memory_bytes() {
  if (const char* v = std::getenv("LAYERSEG_MEMORY_LIMIT")) {
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    LS_CHECK(end != v && *end == '\0' && n > 0, "LAYERSEG_MEMORY_LIMIT='{}' is not a positive number of bytes", v);
    return n;
  }
  // MemAvailable counts the page cache the kernel would give back; free pages alone undercount a busy machine.
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    int64_t kib = 0;
    meminfo >> kib;
    if (key == "MemAvailable:") return kib * 1024;
    meminfo.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return int64_t(sysconf(_SC_AVPHYS_PAGES)) * sysconf(_SC_PAGESIZE);
}

void check_memory(int64_t need_bytes, const std::string& what) {
  if (!g_memory_check) return;
  const int64_t limit = available_memory_bytes();
  constexpr double kGiB = double(int64_t(1) << 30);
  LS_CHECK(need_bytes <= limit,
           "{} needs about {:.2f} GiB of memory, but {:.2f} GiB is available ({}); use a smaller size or batch, or "
           "pass --no-memory-check to try anyway",
           what, double(need_bytes) / kGiB, double(limit) / kGiB,
           std::getenv("LAYERSEG_MEMORY_LIMIT") ? "LAYERSEG_MEMORY_LIMIT" : "MemAvailable in /proc/meminfo");
}

// ---- Dataset ------------------------------------------------------------------------------------------------------

void Dataset::add(const std::string& name, const Image& image, const Image& mask, int label) {
  LS_CHECK(image.h == size_ && image.w == size_ && image.c == 3, "dataset: {}: image is {}x{}x{}, expected {}x{}x3",
           name, image.h, image.w, image.c, size_, size_);
  const bool first = names_.empty();
  LS_CHECK(first || mask.empty() == masks_.empty(), "dataset: {}: either every sample has a mask or none does", name);
  LS_CHECK(first || (label >= 0) == !labels_.empty(), "dataset: {}: either every sample has a label or none does",
           name);
  names_.push_back(name);
  for (float v : image.px) pixels_.push_back(uint8_t(std::lround(std::clamp((v + 1.f) * 0.5f, 0.f, 1.f) * 255.f)));
  if (!mask.empty()) {
    LS_CHECK(mask.h == size_ && mask.w == size_ && mask.c == 1, "dataset: {}: mask is {}x{}x{}, expected {}x{}x1", name,
             mask.h, mask.w, mask.c, size_, size_);
    for (float v : mask.px) masks_.push_back(v > 0.5f ? 1 : 0);
  }
  if (label >= 0) labels_.push_back(label);
}

void Dataset::copy_image(int64_t i, float* chw, bool flip) const {
  const size_t plane = size_t(size_) * size_;
  const uint8_t* src = &pixels_.at(size_t(i) * plane * 3);
  for (int y = 0; y < size_; ++y)
    for (int x = 0; x < size_; ++x) {
      const int sx = flip ? size_ - 1 - x : x;
      for (int ch = 0; ch < 3; ++ch)
        chw[ch * plane + size_t(y) * size_ + x] = src[(size_t(y) * size_ + sx) * 3 + ch] * (2.f / 255.f) - 1.f;
    }
}

void Dataset::copy_mask(int64_t i, float* hw, bool flip) const {
  LS_CHECK(has_masks(), "dataset: {}: has no mask", name(i));
  const size_t plane = size_t(size_) * size_;
  const uint8_t* src = &masks_.at(size_t(i) * plane);
  for (int y = 0; y < size_; ++y)
    for (int x = 0; x < size_; ++x) hw[size_t(y) * size_ + x] = src[size_t(y) * size_ + (flip ? size_ - 1 - x : x)];
}

Image Dataset::image(int64_t i) const {
  Image img(size_, size_, 3);
  std::vector<float> chw(size_t(3) * size_ * size_);
  copy_image(i, chw.data());
  const size_t plane = size_t(size_) * size_;
  for (size_t p = 0; p < plane; ++p)
    for (int ch = 0; ch < 3; ++ch) img.px[p * 3 + ch] = chw[ch * plane + p];
  return img;
}

Image Dataset::mask(int64_t i) const {
  Image m(size_, size_, 1);
  copy_mask(i, m.px.data());
  return m;
}

// ---- loading ------------------------------------------------------------------------------------------------------

namespace {

struct Entry {
  std::string name, image_path, mask_path;  // mask_path empty: no mask
  int label = -1;
  std::optional<std::array<float, 4>> bbox;  // x, y, w, h (CUB)
};

struct Loaded {
  Image image, mask;
  std::string error;  // non-empty: this entry failed
};

Loaded load_entry(const Entry& e, const DatasetOptions& opt) {
  Loaded out;
  try {
    Image img = read_image(e.image_path);
    Image mask;
    if (!e.mask_path.empty()) {
      mask = read_mask(e.mask_path);
      LS_CHECK(mask.h == img.h && mask.w == img.w, "{}: mask is {}x{} but its image {} is {}x{}", e.mask_path, mask.w,
               mask.h, e.image_path, img.w, img.h);
    }
    std::optional<CropBox> box;
    if (e.bbox) {
      const auto& b = *e.bbox;
      box = square_box_around(b[0], b[1], b[2], b[3], img.h, img.w, opt.bbox_margin);
    } else if (opt.crop == "center") {
      box = center_square_box(img.h, img.w);
    }
    if (box) {
      img = crop(img, *box);
      if (!mask.empty()) mask = crop(mask, *box);
    }
    out.image = resize(img, opt.size, opt.size);
    if (!mask.empty()) out.mask = threshold(resize(mask, opt.size, opt.size));
  } catch (const std::exception& ex) {
    out.error = ex.what();
  }
  return out;
}

// Decodes all entries on every core, then adds them in order, so the result does not depend on thread timing.
Dataset build(const std::string& root, const std::vector<Entry>& entries, const DatasetOptions& opt,
              std::vector<std::string> class_names) {
  LS_CHECK(opt.size >= 4, "{}: dataset size S must be at least 4, got {}", root, opt.size);
  check_memory(dataset_bytes(int64_t(entries.size()), opt.size),
               fmt::format("dataset {} ({} images at {}x{})", root, entries.size(), opt.size, opt.size));
  std::vector<Loaded> loaded(entries.size());
  // One image per item of the kernels' thread pool (--threads): results go to per-index slots, so the outcome never
  // depends on timing.
  parallel_for(int64_t(entries.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) loaded[size_t(i)] = load_entry(entries[size_t(i)], opt);
  });

  Dataset ds(opt.size);
  ds.set_class_names(std::move(class_names));
  size_t skipped = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!loaded[i].error.empty()) {
      if (!opt.skip_bad) throw Error(loaded[i].error);
      fmt::print(stderr, "skipping {}: {}\n", entries[i].image_path, loaded[i].error);
      ++skipped;
      continue;
    }
    ds.add(entries[i].name, loaded[i].image, loaded[i].mask, entries[i].label);
  }
  if (skipped > 0) fmt::print(stderr, "{}: skipped {} of {} images\n", root, skipped, entries.size());
  LS_CHECK(ds.count() > 0, "{}: no usable images", root);
  return ds;
}

bool is_image_extension(std::string ext) {
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  LS_CHECK(in.good(), "{}: cannot open file", path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace((unsigned char)line.back())) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Numeric labels name classes 0..max, each of which gets a name: a bound keeps a typo such as "a 2000000000" from
// making two billion of them, and keeps std::stoi within int.
constexpr int kMaxNumericLabel = 65535;

// labels.txt: "<stem> <label>" per line; labels are non-negative integers, or names numbered in sorted order.
std::map<std::string, int> read_labels(const std::string& path, std::vector<std::string>& class_names) {
  std::map<std::string, std::string> raw;
  for (const std::string& line : read_lines(path)) {
    std::istringstream ss(line);
    std::string stem, label;
    LS_CHECK(bool(ss >> stem >> label), "{}: bad line '{}', expected '<stem> <label>'", path, line);
    raw[stem] = label;
  }
  const bool numeric = std::all_of(raw.begin(), raw.end(), [](const auto& kv) {
    return std::all_of(kv.second.begin(), kv.second.end(), [](unsigned char c) { return std::isdigit(c); });
  });
  std::map<std::string, int> labels;
  if (numeric) {
    int max_label = -1;
    for (const auto& [stem, l] : raw) {
      LS_CHECK(l.size() <= 5 && std::stoi(l) <= kMaxNumericLabel, "{}: label {} of '{}' is above {}", path, l, stem,
               kMaxNumericLabel);
      max_label = std::max(max_label, labels[stem] = std::stoi(l));
    }
    for (int k = 0; k <= max_label; ++k) class_names.push_back(std::to_string(k));
  } else {
    std::set<std::string> names;
    for (const auto& kv : raw) names.insert(kv.second);
    class_names.assign(names.begin(), names.end());
    for (const auto& [stem, l] : raw)
      labels[stem] = int(std::lower_bound(class_names.begin(), class_names.end(), l) - class_names.begin());
  }
  return labels;
}

// One number of a CUB table, the whole field and finite: std::stof would throw std::invalid_argument without the
// file's name for "abc" and let "nan" through to the crop (found by tests/fuzz/dataset.cpp).
float parse_number(const std::string& field, const std::string& file, int id) {
  char* end = nullptr;
  errno = 0;
  const float v = std::strtof(field.c_str(), &end);
  LS_CHECK(end != field.c_str() && *end == '\0' && errno == 0 && std::isfinite(v),
           "{}: image id {}: '{}' is not a number", file, id, field);
  return v;
}

// Sets each entry's mask path according to the policy; `expected` gives the path a mask would have.
void attach_masks(std::vector<Entry>& entries, const std::vector<std::string>& expected, MaskPolicy policy) {
  if (policy == MaskPolicy::kNone) return;
  bool all_present = true;
  for (size_t i = 0; i < entries.size(); ++i) {
    // The error_code form: a path from a list file can be anything, and one the OS refuses (a component over 255
    // bytes: ENAMETOOLONG) is a missing mask, not an uncaught std::filesystem_error (found by tests/fuzz/dataset.cpp).
    std::error_code ec;
    const bool present = fs::is_regular_file(expected[i], ec);
    LS_CHECK(present || policy != MaskPolicy::kRequired, "{}: mask missing for image {}", expected[i],
             entries[i].image_path);
    all_present = all_present && present;
  }
  if (!all_present) return;
  for (size_t i = 0; i < entries.size(); ++i) entries[i].mask_path = expected[i];
}

}  // namespace

Dataset load_folder(const std::string& root, const DatasetOptions& opt) {
  const fs::path images_dir = fs::path(root) / "images";
  LS_CHECK(fs::is_directory(images_dir), "{}: no images/ folder (expected the folder layout)", root);
  LS_CHECK(opt.crop == "none" || opt.crop == "center", "{}: unknown crop '{}' (none|center)", root, opt.crop);
  std::map<std::string, std::string> stem_to_path;
  for (const auto& f : fs::directory_iterator(images_dir)) {
    if (!f.is_regular_file() || !is_image_extension(f.path().extension().string())) continue;
    const std::string stem = f.path().stem().string();
    LS_CHECK(!stem_to_path.count(stem), "{}: two images share the stem '{}' ({})", f.path().string(), stem,
             stem_to_path[stem]);
    stem_to_path[stem] = f.path().string();
  }
  LS_CHECK(!stem_to_path.empty(), "{}: no .png/.jpg/.jpeg images found", images_dir.string());

  std::vector<std::string> stems;
  if (!opt.stems_file.empty()) {
    const fs::path list =
        fs::path(opt.stems_file).is_absolute() ? fs::path(opt.stems_file) : fs::path(root) / opt.stems_file;
    stems = read_lines(list.string());
    for (const auto& s : stems)
      LS_CHECK(stem_to_path.count(s), "{}: lists '{}' but {} has no such image", list.string(), s, images_dir.string());
    LS_CHECK(!stems.empty(), "{}: lists no stems", list.string());
  } else {
    for (const auto& kv : stem_to_path) stems.push_back(kv.first);
  }

  std::vector<std::string> class_names;
  const fs::path labels_path = fs::path(root) / "labels.txt";
  std::map<std::string, int> labels;
  if (fs::exists(labels_path)) labels = read_labels(labels_path.string(), class_names);

  std::vector<Entry> entries;
  std::vector<std::string> expected_masks;
  for (const auto& stem : stems) {
    Entry e{stem, stem_to_path[stem], "", -1, std::nullopt};
    if (!labels.empty()) {
      LS_CHECK(labels.count(stem), "{}: no label for image {}", labels_path.string(), e.image_path);
      e.label = labels[stem];
    }
    entries.push_back(e);
    expected_masks.push_back((fs::path(root) / "masks" / (stem + ".png")).string());
  }
  attach_masks(entries, expected_masks, opt.masks);
  return build(root, entries, opt, std::move(class_names));
}

Dataset load_cub(const std::string& root, const DatasetOptions& opt) {
  const fs::path r(root);
  LS_CHECK(fs::is_regular_file(r / "images.txt"), "{}: no images.txt (expected the CUB-200-2011 layout)", root);
  LS_CHECK(opt.split == "all" || opt.split == "train" || opt.split == "test", "{}: unknown split '{}' (all|train|test)",
           root, opt.split);
  auto read_table = [&](const std::string& file, size_t columns) {
    std::map<int, std::vector<std::string>> rows;
    for (const std::string& line : read_lines((r / file).string())) {
      std::istringstream ss(line);
      int id = 0;
      std::vector<std::string> cols(columns);
      bool ok = bool(ss >> id);
      for (auto& c : cols) ok = ok && bool(ss >> c);
      LS_CHECK(ok, "{}: bad line '{}'", (r / file).string(), line);
      rows[id] = cols;
    }
    return rows;
  };
  const auto images = read_table("images.txt", 1);
  const auto boxes = read_table("bounding_boxes.txt", 4);
  std::map<int, std::vector<std::string>> split;
  if (opt.split != "all") split = read_table("train_test_split.txt", 1);

  std::set<std::string> class_set;
  for (const auto& [id, cols] : images) class_set.insert(fs::path(cols[0]).parent_path().string());
  std::vector<std::string> class_names(class_set.begin(), class_set.end());

  std::vector<Entry> entries;
  std::vector<std::string> expected_masks;
  for (const auto& [id, cols] : images) {
    if (opt.split != "all") {
      LS_CHECK(split.count(id), "{}: no entry for image id {}", (r / "train_test_split.txt").string(), id);
      if ((split.at(id)[0] == "1") != (opt.split == "train")) continue;
    }
    const fs::path rel(cols[0]);
    const std::string cls = rel.parent_path().string();
    Entry e;
    e.name = rel.stem().string();
    e.image_path = (r / "images" / rel).string();
    e.label = int(std::lower_bound(class_names.begin(), class_names.end(), cls) - class_names.begin());
    LS_CHECK(boxes.count(id), "{}: no bounding box for image id {}", (r / "bounding_boxes.txt").string(), id);
    const auto& b = boxes.at(id);
    const std::string boxes_file = (r / "bounding_boxes.txt").string();
    e.bbox = std::array<float, 4>{parse_number(b[0], boxes_file, id), parse_number(b[1], boxes_file, id),
                                  parse_number(b[2], boxes_file, id), parse_number(b[3], boxes_file, id)};
    entries.push_back(e);
    expected_masks.push_back((r / "segmentations" / fs::path(cols[0]).replace_extension(".png")).string());
  }
  LS_CHECK(!entries.empty(), "{}: no images in split '{}'", root, opt.split);
  attach_masks(entries, expected_masks, opt.masks);
  return build(root, entries, opt, std::move(class_names));
}

Dataset load_dataset(const std::string& root, const DatasetOptions& opt) {
  LS_CHECK(fs::is_directory(root), "{}: dataset folder does not exist", root);
  if (opt.layout == "folder") return load_folder(root, opt);
  if (opt.layout == "cub") return load_cub(root, opt);
  LS_FAIL("{}: unknown dataset layout '{}' (folder|cub)", root, opt.layout);
}

std::vector<Image> load_masks(const std::string& dir, int size) {
  fs::path folder = fs::path(dir) / "masks";
  if (!fs::is_directory(folder)) folder = dir;
  LS_CHECK(fs::is_directory(folder), "{}: mask folder does not exist", dir);
  std::vector<std::string> paths;
  for (const auto& f : fs::directory_iterator(folder))
    if (f.is_regular_file() && is_image_extension(f.path().extension().string())) paths.push_back(f.path().string());
  std::sort(paths.begin(), paths.end());
  LS_CHECK(!paths.empty(), "{}: no mask images found", folder.string());
  std::vector<Image> masks;
  for (const auto& p : paths) masks.push_back(threshold(resize(read_mask(p), size, size)));
  return masks;
}

void write_folder(const Dataset& ds, const std::string& root) {
  const fs::path r(root);
  fs::create_directories(r / "images");
  if (ds.has_masks()) fs::create_directories(r / "masks");
  std::ofstream labels;
  if (ds.has_labels()) {
    labels.open(r / "labels.txt");
    LS_CHECK(labels.good(), "{}: cannot write", (r / "labels.txt").string());
  }
  for (int64_t i = 0; i < ds.count(); ++i) {
    write_image((r / "images" / (ds.name(i) + ".png")).string(), ds.image(i));
    if (ds.has_masks()) write_image((r / "masks" / (ds.name(i) + ".png")).string(), ds.mask(i));
    if (ds.has_labels()) labels << ds.name(i) << ' ' << ds.label(i) << '\n';
  }
  LS_CHECK(!ds.has_labels() || labels.good(), "{}: write failed", (r / "labels.txt").string());
}

}  // namespace ls::data
