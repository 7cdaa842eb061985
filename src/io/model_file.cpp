#include "io/model_file.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "core/check.h"

namespace attn {

static_assert(std::endian::native == std::endian::little, "the model file format assumes a little-endian host");

namespace {

constexpr char kMagic[4] = {'A', 'T', 'W', 'M'};
constexpr uint32_t kFlagOptimizer = 1;
// Limits far above any real model, so absurd lengths fail before any allocation.
constexpr uint32_t kMaxNameLength = 4096;
constexpr uint32_t kMaxWeights = 1 << 20;
constexpr uint64_t kMaxIterations = uint64_t(1) << 53;
constexpr int kMaxConfigDepth = 64;

class Writer {
 public:
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + n);
  }
  void u32(uint32_t v) { bytes(&v, 4); }
  void u64(uint64_t v) { bytes(&v, 8); }
  void string(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(s.data(), s.size());
  }
  std::vector<uint8_t> out;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t remaining() const { return size_ - pos_; }
  void need(uint64_t n, const char* what) const {
    ATTN_CHECK(n <= remaining(), "loadModel: the file is truncated (", what, " needs ", n, " bytes, ", remaining(),
               " left)");
  }
  void bytes(void* out, size_t n, const char* what) {
    need(n, what);
    std::memcpy(out, data_ + pos_, n);
    pos_ += n;
  }
  uint32_t u32(const char* what) {
    uint32_t v;
    bytes(&v, 4, what);
    return v;
  }
  uint64_t u64(const char* what) {
    uint64_t v;
    bytes(&v, 8, what);
    return v;
  }
  std::string string(uint32_t maxLength, const char* what) {
    const uint32_t n = u32(what);
    ATTN_CHECK(n <= maxLength, "loadModel: ", what, " length ", n, " exceeds the limit of ", maxLength);
    need(n, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace

uint32_t fnv1a(const uint8_t* bytes, size_t size) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < size; ++i) {
    h ^= bytes[i];
    h *= 16777619u;
  }
  return h;
}

std::vector<uint8_t> saveModel(Model& model, bool includeOptimizer) {
  Writer w;
  Optimizer* optimizer = includeOptimizer ? model.optimizer() : nullptr;
  w.bytes(kMagic, 4);
  w.u32(kModelFileVersion);
  w.u32(optimizer ? kFlagOptimizer : 0);
  w.string(Json{{"model", model.toConfig()}, {"compile", model.compileConfig()}}.dump());
  const std::vector<NamedTensor> weights = model.getWeights();
  w.u32(static_cast<uint32_t>(weights.size()));
  for (const auto& weight : weights) {
    w.string(weight.name);
    const Shape& s = weight.value.shape();
    w.u32(static_cast<uint32_t>(s.rank));
    for (int i = 0; i < s.rank; ++i) w.u32(static_cast<uint32_t>(s[i]));
    w.bytes(weight.value.data(), weight.value.size() * sizeof(float));
  }
  if (optimizer) {
    w.u64(static_cast<uint64_t>(optimizer->iterations()));
    const auto slots = optimizer->stateSlots();
    w.u32(static_cast<uint32_t>(slots.size()));
    for (const Tensor* slot : slots) {
      w.u32(static_cast<uint32_t>(slot->size()));
      w.bytes(slot->data(), slot->size() * sizeof(float));
    }
  }
  w.u32(fnv1a(w.out.data(), w.out.size()));
  return std::move(w.out);
}

std::unique_ptr<Model> loadModel(const uint8_t* data, size_t size) {
  ATTN_CHECK(data || size == 0, "loadModel: no data");
  ATTN_CHECK(size >= 4 && std::memcmp(data, kMagic, 4) == 0,
             "loadModel: not an attention-wasm model file (missing 'ATWM' magic)");
  ATTN_CHECK(size >= 4 + 4 + 4 + 4 + 4 + 4, "loadModel: the file is truncated (", size, " bytes)");
  Reader header(data + 4, size - 4);
  const uint32_t version = header.u32("version");
  ATTN_CHECK(version == kModelFileVersion, "loadModel: unsupported format version ", version, " (this build reads ",
             kModelFileVersion, ")");
  uint32_t stored;
  std::memcpy(&stored, data + size - 4, 4);
  ATTN_CHECK(fnv1a(data, size - 4) == stored, "loadModel: checksum mismatch (the file is corrupted)");

  Reader r(data + 8, size - 12);
  const uint32_t flags = r.u32("flags");
  ATTN_CHECK((flags & ~kFlagOptimizer) == 0, "loadModel: unknown flags ", flags);
  const uint32_t configLength = r.u32("config");
  r.need(configLength, "config");
  std::string text(configLength, '\0');
  r.bytes(text.data(), configLength, "config");
  // Deeply nested JSON would recurse when copied or printed: refuse it while parsing.
  bool tooDeep = false;
  Json doc = Json::parse(
      text,
      [&](int depth, Json::parse_event_t, Json&) {
        if (depth > kMaxConfigDepth) tooDeep = true;
        return !tooDeep;
      },
      false);
  ATTN_CHECK(!tooDeep, "loadModel: the model config nests deeper than ", kMaxConfigDepth, " levels");
  ATTN_CHECK(!doc.is_discarded() && doc.is_object() && doc.contains("model"),
             "loadModel: the model config is not valid JSON");
  // The weights are in the file, so a config declaring more parameters than it holds is a lie.
  const int64_t parameterLimit = static_cast<int64_t>(size / sizeof(float));
  std::unique_ptr<Model> model;
  try {
    model = std::make_unique<Model>(doc["model"], kDefaultModelSeed, parameterLimit);
    const Json compile = doc.value("compile", Json());
    if (!compile.is_null()) model->compile(compile);
  } catch (const Json::exception& e) {
    fail("loadModel: invalid model config (", e.what(), ")");
  } catch (const Error& e) {
    fail("loadModel: invalid model config: ", e.what());
  }

  const std::vector<NamedTensor> expected = model->getWeights();
  const uint32_t count = r.u32("weight count");
  ATTN_CHECK(count <= kMaxWeights && count == expected.size(), "loadModel: the file holds ", count,
             " weights, the model config declares ", expected.size());
  std::vector<NamedTensor> weights(count);
  for (uint32_t i = 0; i < count; ++i) {
    weights[i].name = r.string(kMaxNameLength, "weight name");
    ATTN_CHECK(weights[i].name == expected[i].name, "loadModel: weight ", i, " is '", weights[i].name,
               "', the model config expects '", expected[i].name, "'");
    const uint32_t rank = r.u32("weight rank");
    ATTN_CHECK(rank <= static_cast<uint32_t>(kMaxRank), "loadModel: weight '", weights[i].name, "' has rank ", rank);
    std::vector<int> dims;
    for (uint32_t d = 0; d < rank; ++d) {
      const uint32_t dim = r.u32("weight shape");
      ATTN_CHECK(dim <= (1u << 30), "loadModel: weight '", weights[i].name, "' has an absurd dimension ", dim);
      dims.push_back(static_cast<int>(dim));
    }
    const Shape shape(dims);
    ATTN_CHECK(shape == expected[i].value.shape(), "loadModel: weight '", weights[i].name, "' has shape ",
               shape.str(), ", the model config expects ", expected[i].value.shape().str());
    const uint64_t bytes = static_cast<uint64_t>(shape.numel()) * sizeof(float);
    r.need(bytes, "weight data");
    weights[i].value.resize(shape);
    r.bytes(weights[i].value.data(), bytes, "weight data");
  }
  try {
    model->setWeights(weights);
  } catch (const Error& e) {
    fail("loadModel: ", e.what());
  }
  if (flags & kFlagOptimizer) {
    ATTN_CHECK(model->compiled(), "loadModel: the file holds optimizer state but no compile config");
    Optimizer& optimizer = *model->optimizer();
    const uint64_t iterations = r.u64("optimizer iterations");
    ATTN_CHECK(iterations <= kMaxIterations, "loadModel: absurd optimizer iteration count ", iterations);
    const auto slots = optimizer.stateSlots();
    const uint32_t slotCount = r.u32("optimizer slot count");
    ATTN_CHECK(slotCount == slots.size(), "loadModel: the file holds ", slotCount, " optimizer state tensors, ",
               optimizer.type(), " has ", slots.size());
    const std::string type = optimizer.type();
    for (size_t k = 0; k < slots.size(); ++k) {
      Tensor* slot = slots[k];
      const uint32_t length = r.u32("optimizer state length");
      ATTN_CHECK(length == slot->size(), "loadModel: optimizer state of ", length, " values, the model has ",
                 slot->size(), " trainable values");
      r.bytes(slot->data(), static_cast<size_t>(length) * sizeof(float), "optimizer state");
      // Squared-gradient averages (Adam's v, RMSprop's ms) go under a square root.
      const bool squares = (type == "adam" && k == 1) || (type == "rmsprop" && k == 0);
      for (int64_t i = 0; i < slot->size(); ++i) {
        const float v = (*slot)[i];
        ATTN_CHECK(std::isfinite(v) && (!squares || v >= 0.f), "loadModel: optimizer state ", k, " holds ", v,
                   " at index ", i);
      }
    }
    optimizer.setIterations(static_cast<int64_t>(iterations));
  }
  ATTN_CHECK(r.remaining() == 0, "loadModel: ", r.remaining(), " unexpected bytes after the model data");
  return model;
}

}  // namespace attn
