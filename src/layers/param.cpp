#include "layers/param.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/check.h"

namespace attn {
namespace {

// Keras' _compute_fans.
void computeFans(const Shape& shape, double& fanIn, double& fanOut) {
  if (shape.rank == 0) {
    fanIn = fanOut = 1;
  } else if (shape.rank == 1) {
    fanIn = fanOut = shape[0];
  } else if (shape.rank == 2) {
    fanIn = shape[0];
    fanOut = shape[1];
  } else {
    double receptive = 1;
    for (int i = 0; i < shape.rank - 2; ++i) receptive *= shape[i];
    fanIn = shape[-2] * receptive;
    fanOut = shape[-1] * receptive;
  }
}

// Keras' Orthogonal: QR of a normal (max(r,c) x min(r,c)) matrix, signs fixed so diag(R) > 0,
// transposed when there are fewer rows than columns. Gram-Schmidt yields that Q directly.
void orthogonal(const Shape& shape, float gain, float* out, Rng& rng) {
  const int cols = shape.rank ? shape[-1] : 1;
  const int rows = static_cast<int>(shape.numel() / std::max(cols, 1));
  const int tall = std::max(rows, cols), narrow = std::min(rows, cols);
  std::vector<double> q(static_cast<size_t>(tall) * narrow);  // column-major: column j at q[j*tall]
  for (auto& v : q) v = rng.normal();
  for (int j = 0; j < narrow; ++j) {
    double* column = &q[static_cast<size_t>(j) * tall];
    for (int pass = 0; pass < 2; ++pass) {  // twice for numerical orthogonality
      for (int k = 0; k < j; ++k) {
        const double* previous = &q[static_cast<size_t>(k) * tall];
        double projection = 0;
        for (int i = 0; i < tall; ++i) projection += column[i] * previous[i];
        for (int i = 0; i < tall; ++i) column[i] -= projection * previous[i];
      }
    }
    double norm = 0;
    for (int i = 0; i < tall; ++i) norm += column[i] * column[i];
    norm = std::sqrt(norm);
    for (int i = 0; i < tall; ++i) column[i] /= norm > 0 ? norm : 1;
  }
  // Q is tall x narrow. rows >= cols: out[r][c] = Q[r][c]; else out = Q^T: out[r][c] = Q[c][r].
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      double v = rows >= cols ? q[static_cast<size_t>(c) * tall + r] : q[static_cast<size_t>(r) * tall + c];
      out[static_cast<size_t>(r) * cols + c] = static_cast<float>(gain * v);
    }
}

const char* kindName(Initializer::Kind kind) {
  switch (kind) {
    case Initializer::Kind::Zeros: return "zeros";
    case Initializer::Kind::Ones: return "ones";
    case Initializer::Kind::Constant: return "constant";
    case Initializer::Kind::GlorotUniform: return "glorotUniform";
    case Initializer::Kind::GlorotNormal: return "glorotNormal";
    case Initializer::Kind::HeUniform: return "heUniform";
    case Initializer::Kind::HeNormal: return "heNormal";
    case Initializer::Kind::Orthogonal: return "orthogonal";
    case Initializer::Kind::RandomUniform: return "randomUniform";
    case Initializer::Kind::RandomNormal: return "randomNormal";
    case Initializer::Kind::LstmBias: return "lstmBias";
  }
  return "zeros";
}

}  // namespace

void initialize(const Initializer& init, const Shape& shape, float* out, Rng& rng) {
  const int64_t n = shape.numel();
  double fanIn, fanOut;
  computeFans(shape, fanIn, fanOut);
  constexpr double kTruncatedStddev = 0.87962566103423978;  // stddev of N(0,1) truncated at 2
  switch (init.kind) {
    case Initializer::Kind::Zeros: std::fill(out, out + n, 0.f); break;
    case Initializer::Kind::Ones: std::fill(out, out + n, 1.f); break;
    case Initializer::Kind::Constant: std::fill(out, out + n, init.a); break;
    case Initializer::Kind::GlorotUniform: {
      float limit = static_cast<float>(std::sqrt(6.0 / (fanIn + fanOut)));
      for (int64_t i = 0; i < n; ++i) out[i] = rng.uniform(-limit, limit);
      break;
    }
    case Initializer::Kind::GlorotNormal: {
      float stddev = static_cast<float>(std::sqrt(2.0 / (fanIn + fanOut)) / kTruncatedStddev);
      for (int64_t i = 0; i < n; ++i) out[i] = stddev * rng.truncatedNormal();
      break;
    }
    case Initializer::Kind::HeUniform: {
      float limit = static_cast<float>(std::sqrt(6.0 / fanIn));
      for (int64_t i = 0; i < n; ++i) out[i] = rng.uniform(-limit, limit);
      break;
    }
    case Initializer::Kind::HeNormal: {
      float stddev = static_cast<float>(std::sqrt(2.0 / fanIn) / kTruncatedStddev);
      for (int64_t i = 0; i < n; ++i) out[i] = stddev * rng.truncatedNormal();
      break;
    }
    case Initializer::Kind::Orthogonal: orthogonal(shape, init.a == 0.f ? 1.f : init.a, out, rng); break;
    case Initializer::Kind::RandomUniform:
      for (int64_t i = 0; i < n; ++i) out[i] = rng.uniform(init.a, init.b);
      break;
    case Initializer::Kind::RandomNormal:
      for (int64_t i = 0; i < n; ++i) out[i] = init.a + init.b * rng.normal();
      break;
    case Initializer::Kind::LstmBias: {
      const int64_t units = static_cast<int64_t>(init.a);
      std::fill(out, out + n, 0.f);
      // [i, f, c, o] blocks of `units`; Bidirectional or stacked biases repeat the pattern.
      for (int64_t i = 0; i < n; ++i)
        if ((i / units) % 4 == 1) out[i] = 1.f;
      break;
    }
  }
}

Initializer parseInitializer(const Json& spec, const Initializer& fallback, const std::string& owner) {
  if (spec.is_null()) return fallback;
  std::string type;
  const Json* args = nullptr;
  if (spec.is_string()) {
    type = spec.get<std::string>();
  } else if (spec.is_object() && spec.contains("type") && spec["type"].is_string()) {
    type = spec["type"].get<std::string>();
    args = &spec;
  } else {
    fail(owner, ": an initializer must be a name such as 'glorotUniform' or {type, ...}, got ", spec.dump());
  }
  auto arg = [&](const char* key, float value) {
    if (!args || !args->contains(key)) return value;
    ATTN_CHECK((*args)[key].is_number(), owner, ": initializer option '", key, "' must be a number");
    return (*args)[key].get<float>();
  };
  if (type == "zeros") return Initializer::zeros();
  if (type == "ones") return Initializer::ones();
  if (type == "constant") return Initializer::constant(arg("value", 0.f));
  if (type == "glorotUniform") return Initializer::glorotUniform();
  if (type == "glorotNormal") return {Initializer::Kind::GlorotNormal};
  if (type == "heUniform") return {Initializer::Kind::HeUniform};
  if (type == "heNormal") return {Initializer::Kind::HeNormal};
  if (type == "orthogonal") return Initializer::orthogonal(arg("gain", 1.f));
  if (type == "randomUniform") return Initializer::randomUniform(arg("minval", -0.05f), arg("maxval", 0.05f));
  if (type == "randomNormal") return Initializer::randomNormal(arg("mean", 0.f), arg("stddev", 0.05f));
  fail(owner, ": unknown initializer '", type,
       "' (expected zeros, ones, constant, glorotUniform, glorotNormal, heUniform, heNormal, orthogonal, "
       "randomUniform or randomNormal)");
}

Json initializerToJson(const Initializer& init) {
  switch (init.kind) {
    case Initializer::Kind::Constant: return Json{{"type", "constant"}, {"value", init.a}};
    case Initializer::Kind::Orthogonal: return Json{{"type", "orthogonal"}, {"gain", init.a}};
    case Initializer::Kind::RandomUniform: return Json{{"type", "randomUniform"}, {"minval", init.a}, {"maxval", init.b}};
    case Initializer::Kind::RandomNormal: return Json{{"type", "randomNormal"}, {"mean", init.a}, {"stddev", init.b}};
    default: return kindName(init.kind);
  }
}

Regularizer parseRegularizer(const Json& spec, const std::string& owner) {
  Regularizer reg;
  if (spec.is_null()) return reg;
  ATTN_CHECK(spec.is_object(), owner, ": a regularizer must be an object such as {l2: 0.01}, got ", spec.dump());
  for (auto it = spec.begin(); it != spec.end(); ++it) {
    ATTN_CHECK(it.key() == "l1" || it.key() == "l2", owner, ": unknown regularizer option '", it.key(),
               "' (known: l1, l2)");
    ATTN_CHECK(it->is_number() && it->get<double>() >= 0 && std::isfinite(it->get<double>()), owner,
               ": regularizer '", it.key(), "' must be a non-negative number, got ", it->dump());
    (it.key() == "l1" ? reg.l1 : reg.l2) = it->get<float>();
  }
  return reg;
}

Json regularizerToJson(const Regularizer& reg) {
  if (!reg.active()) return nullptr;
  Json out = Json::object();
  if (reg.l1 != 0.f) out["l1"] = reg.l1;
  if (reg.l2 != 0.f) out["l2"] = reg.l2;
  return out;
}

Param* ParamStore::add(std::string name, const Shape& shape, const Initializer& init, const Regularizer& reg,
                       bool trainable) {
  ATTN_CHECK(!allocated_, name, ": parameters cannot be added after the model is built");
  for (const auto& p : params_) ATTN_CHECK(p.name != name, name, ": duplicate parameter name (layer names must be unique)");
  params_.push_back(Param{std::move(name), shape, init, reg, trainable});
  return &params_.back();
}

int64_t ParamStore::totalSize() const {
  int64_t n = 0;
  for (const auto& p : params_) n += p.size();
  return n;
}

void ParamStore::allocate(Rng& rng, ParamStore* sharedValues) {
  ATTN_CHECK(!allocated_, "model: parameters are already allocated");
  if (sharedValues) {
    ATTN_CHECK(sharedValues->allocated_ && params_.size() == sharedValues->params_.size(), "model: a replica declares ",
               params_.size(), " weights, not ", sharedValues->params_.size());
  }
  int64_t trainable = 0, state = 0;
  for (const auto& p : params_) (p.trainable ? trainable : state) += p.size();
  if (!sharedValues) values_.resize(Shape{static_cast<int>(trainable)});
  grads_.resize(Shape{static_cast<int>(trainable)});
  state_.resize(Shape{static_cast<int>(state)});
  grads_.zero();
  int64_t trainableOffset = 0, stateOffset = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    Param& p = params_[i];
    if (p.trainable) {
      const Param* from = sharedValues ? &sharedValues->params_[i] : nullptr;
      if (from)
        ATTN_CHECK(p.shape == from->shape && from->trainable, "model: replica weight ", p.name, " differs from ", from->name);
      p.grad = grads_.data() + trainableOffset;
      p.value = from ? from->value : values_.data() + trainableOffset;
      trainableOffset += p.size();
      if (from) continue;  // the source's values, initialized there
    } else {
      p.value = state_.data() + stateOffset;
      p.grad = nullptr;
      stateOffset += p.size();
    }
    initialize(p.init, p.shape, p.value, rng);
  }
  allocated_ = true;
}

float ParamStore::regularizationLoss() const {
  double loss = 0;
  for (const auto& p : params_) {
    if (!p.regularizer.active() || !p.value) continue;
    for (int64_t i = 0; i < p.size(); ++i)
      loss += p.regularizer.l1 * std::fabs(p.value[i]) + p.regularizer.l2 * double(p.value[i]) * p.value[i];
  }
  return static_cast<float>(loss);
}

float ParamStore::applyRegularization() {
  for (auto& p : params_) {
    if (!p.regularizer.active() || !p.grad) continue;
    const float l1 = p.regularizer.l1, twoL2 = 2.f * p.regularizer.l2;
    for (int64_t i = 0; i < p.size(); ++i) {
      const float w = p.value[i];
      p.grad[i] += twoL2 * w + l1 * static_cast<float>((w > 0.f) - (w < 0.f));
    }
  }
  return regularizationLoss();
}

namespace {

// The path within the layer, normalized: no ":N" suffix, no cell level.
std::vector<std::string> weightPath(const std::string& name, bool dropLayer) {
  std::string text = name;
  const size_t colon = text.rfind(':');
  if (colon != std::string::npos && colon + 1 < text.size() &&
      std::all_of(text.begin() + colon + 1, text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    text.resize(colon);
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t slash = text.find('/', start);
    parts.push_back(text.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (dropLayer && parts.size() > 1) parts.erase(parts.begin());
  std::erase_if(parts, [](const std::string& part) {
    return part == "cell" || (part.size() > 5 && part.compare(part.size() - 5, 5, "_cell") == 0);
  });
  return parts;
}

}  // namespace

bool weightNameMatches(const std::string& ours, const std::string& given) {
  if (given.empty()) return false;
  const std::vector<std::string> want = weightPath(ours, true);
  if (given.find('/') == std::string::npos) return !want.empty() && weightPath(given, false) == std::vector{want.back()};
  return weightPath(given, true) == want;
}

}  // namespace attn
