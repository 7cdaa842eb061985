// Built with -fno-math-errno (CMakeLists.txt): sqrt of the never-negative second moments then
// needs no errno branch, and GCC vectorizes the Adam/RMSprop loops.
#include "optim/optimizer.h"

#include <cmath>

#include "core/check.h"
#include "core/config.h"

namespace attn {

void Optimizer::reset(int64_t size) {
  for (Tensor& slot : slots_) {
    slot.resize(Shape{static_cast<int>(size)});
    slot.zero();
  }
  iterations_ = 0;
}

void Optimizer::beginStep(int64_t size) {
  for (const Tensor& slot : slots_)
    ATTN_CHECK(slot.size() == size, type(), ": optimizer state holds ", slot.size(), " values, the model has ", size);
  ++iterations_;
}

void Optimizer::step(float* values, const float* grads, int64_t size) {
  beginStep(size);
  updateRange(values, grads, 0, size);
}

std::vector<Tensor*> Optimizer::stateSlots() {
  std::vector<Tensor*> out;
  for (Tensor& slot : slots_) out.push_back(&slot);
  return out;
}

namespace {

class Sgd final : public Optimizer {
 public:
  explicit Sgd(ConfigReader& options)
      : Optimizer(options.numberInRange("learningRate", 0.01f, 0.f, 1e6f), 1),
        momentum_(options.numberInRange("momentum", 0.f, 0.f, 1.f)),
        nesterov_(options.boolean("nesterov", false)) {}
  const char* type() const override { return "sgd"; }
  Json config() const override {
    return Json{{"type", "sgd"}, {"learningRate", learningRate_}, {"momentum", momentum_}, {"nesterov", nesterov_}};
  }

 private:
  void update(float* w, const float* g, int64_t first, int64_t n, int64_t) override {
    const float lr = learningRate_, m = momentum_;
    if (m == 0.f) {
      // w -= lr g
      for (int64_t i = 0; i < n; ++i) w[i] -= lr * g[i];
      return;
    }
    float* v = slots_[0].data() + first;
    if (nesterov_) {
      // v = m v - lr g;  w += m v - lr g
      for (int64_t i = 0; i < n; ++i) {
        v[i] = m * v[i] - lr * g[i];
        w[i] += m * v[i] - lr * g[i];
      }
    } else {
      // v = m v - lr g;  w += v
      for (int64_t i = 0; i < n; ++i) {
        v[i] = m * v[i] - lr * g[i];
        w[i] += v[i];
      }
    }
  }
  float momentum_;
  bool nesterov_;
};

class Adam final : public Optimizer {
 public:
  explicit Adam(ConfigReader& options)
      : Optimizer(options.numberInRange("learningRate", 0.001f, 0.f, 1e6f), 2),
        beta1_(options.numberInRange("beta1", 0.9f, 0.f, 0.999999f)),
        beta2_(options.numberInRange("beta2", 0.999f, 0.f, 0.999999f)),
        epsilon_(options.numberInRange("epsilon", 1e-7f, 0.f, 1.f)) {
    // With epsilon 0 a parameter whose gradient stays 0 gets the update 0 / 0 = NaN.
    ATTN_CHECK(epsilon_ > 0.f, options.owner(), ": option 'epsilon' must be > 0, got ", epsilon_);
  }
  const char* type() const override { return "adam"; }
  Json config() const override {
    return Json{{"type", "adam"}, {"learningRate", learningRate_}, {"beta1", beta1_}, {"beta2", beta2_},
                {"epsilon", epsilon_}};
  }

 private:
  void update(float* w, const float* g, int64_t first, int64_t n, int64_t t) override {
    float* m = slots_[0].data() + first;
    float* v = slots_[1].data() + first;
    const float b1 = beta1_, b2 = beta2_, eps = epsilon_;
    // Bias correction folded into the step size, as Keras: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t).
    const double td = static_cast<double>(t);
    const float lrT = static_cast<float>(learningRate_ * std::sqrt(1.0 - std::pow(double(b2), td)) /
                                         (1.0 - std::pow(double(b1), td)));
    // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr_t m / (sqrt(v) + eps)
    for (int64_t i = 0; i < n; ++i) {
      m[i] = b1 * m[i] + (1.f - b1) * g[i];
      v[i] = b2 * v[i] + (1.f - b2) * g[i] * g[i];
      w[i] -= lrT * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
  float beta1_, beta2_, epsilon_;
};

class RmsProp final : public Optimizer {
 public:
  explicit RmsProp(ConfigReader& options)
      : Optimizer(options.numberInRange("learningRate", 0.001f, 0.f, 1e6f), 2),
        rho_(options.numberInRange("rho", 0.9f, 0.f, 1.f)),
        momentum_(options.numberInRange("momentum", 0.f, 0.f, 1.f)),
        epsilon_(options.numberInRange("epsilon", 1e-7f, 0.f, 1.f)) {
    // With epsilon 0 a parameter whose gradient stays 0 gets the update 0 / 0 = NaN.
    ATTN_CHECK(epsilon_ > 0.f, options.owner(), ": option 'epsilon' must be > 0, got ", epsilon_);
  }
  const char* type() const override { return "rmsprop"; }
  Json config() const override {
    return Json{{"type", "rmsprop"}, {"learningRate", learningRate_}, {"rho", rho_}, {"momentum", momentum_},
                {"epsilon", epsilon_}};
  }

 private:
  // As Keras >= 2.11 and TF.js, epsilon sits inside the square root.
  void update(float* w, const float* g, int64_t first, int64_t n, int64_t) override {
    float* ms = slots_[0].data() + first;
    float* mom = slots_[1].data() + first;
    const float rho = rho_, lr = learningRate_, eps = epsilon_, mu = momentum_;
    if (mu == 0.f) {
      // ms = rho ms + (1 - rho) g^2;  w -= lr g / sqrt(ms + eps)
      for (int64_t i = 0; i < n; ++i) {
        ms[i] = rho * ms[i] + (1.f - rho) * g[i] * g[i];
        w[i] -= lr * g[i] / std::sqrt(ms[i] + eps);
      }
    } else {
      // ms as above;  mom = mu mom + lr g / sqrt(ms + eps);  w -= mom
      for (int64_t i = 0; i < n; ++i) {
        ms[i] = rho * ms[i] + (1.f - rho) * g[i] * g[i];
        mom[i] = mu * mom[i] + lr * g[i] / std::sqrt(ms[i] + eps);
        w[i] -= mom[i];
      }
    }
  }
  float rho_, momentum_, epsilon_;
};

}  // namespace

std::unique_ptr<Optimizer> createOptimizer(const Json& spec) {
  std::string type;
  Json options = Json::object();
  if (spec.is_string()) {
    type = spec.get<std::string>();
  } else if (spec.is_object() && spec.contains("type") && spec["type"].is_string()) {
    type = spec["type"].get<std::string>();
    options = spec;
    options.erase("type");
  } else {
    fail("compile: optimizer must be 'sgd', 'adam', 'rmsprop' or {type, ...}, got ", spec.dump());
  }
  ConfigReader reader(options, type);
  std::unique_ptr<Optimizer> out;
  if (type == "sgd") out = std::make_unique<Sgd>(reader);
  else if (type == "adam") out = std::make_unique<Adam>(reader);
  else if (type == "rmsprop") out = std::make_unique<RmsProp>(reader);
  else fail("compile: unknown optimizer '", type, "' (expected sgd, adam or rmsprop)");
  reader.finish();
  return out;
}

}  // namespace attn
