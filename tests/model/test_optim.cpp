#include <gtest/gtest.h>

#include <cmath>

#include "core/check.h"
#include "optim/optimizer.h"

namespace attn::optim_test {
namespace {

// Runs `steps` updates of one weight starting at 1 with gradient g(t) and returns the trajectory.
std::vector<float> trajectory(const Json& spec, int steps, float (*gradient)(int) = nullptr) {
  auto optimizer = createOptimizer(spec);
  optimizer->reset(1);
  float w = 1.f;
  std::vector<float> out;
  for (int t = 0; t < steps; ++t) {
    const float g = gradient ? gradient(t) : 0.5f;
    optimizer->step(&w, &g, 1);
    out.push_back(w);
  }
  return out;
}

TEST(Optimizer, SgdPlainMomentumAndNesterovByHand) {
  auto plain = trajectory({{"type", "sgd"}, {"learningRate", 0.1}}, 2);
  EXPECT_NEAR(plain[0], 0.95f, 1e-6);
  EXPECT_NEAR(plain[1], 0.90f, 1e-6);
  // v = 0.9 v - 0.05: -0.05, -0.095, -0.1355; w += v
  auto momentum = trajectory({{"type", "sgd"}, {"learningRate", 0.1}, {"momentum", 0.9}}, 3);
  EXPECT_NEAR(momentum[0], 0.95f, 1e-6);
  EXPECT_NEAR(momentum[1], 0.855f, 1e-6);
  EXPECT_NEAR(momentum[2], 0.7195f, 1e-6);
  // w += 0.9 v - 0.05: -0.095, -0.1355
  auto nesterov = trajectory({{"type", "sgd"}, {"learningRate", 0.1}, {"momentum", 0.9}, {"nesterov", true}}, 2);
  EXPECT_NEAR(nesterov[0], 0.905f, 1e-6);
  EXPECT_NEAR(nesterov[1], 0.7695f, 1e-6);
  // Default learning rate 0.01.
  EXPECT_NEAR(trajectory("sgd", 1)[0], 0.995f, 1e-7);
}

TEST(Optimizer, AdamBiasCorrectionByHand) {
  // With a constant gradient the bias-corrected step is lr * m_hat / sqrt(v_hat) = lr (up to eps).
  auto w = trajectory({{"type", "adam"}, {"learningRate", 0.1}}, 3);
  EXPECT_NEAR(w[0], 0.9f, 2e-6);
  EXPECT_NEAR(w[1], 0.8f, 2e-6);
  EXPECT_NEAR(w[2], 0.7f, 2e-6);
  // Alternating gradients, checked against the formula in double precision.
  auto alternating = [](int t) { return t % 2 ? -1.f : 2.f; };
  auto got = trajectory({{"type", "adam"}, {"learningRate", 0.01}, {"beta1", 0.8}, {"beta2", 0.9}}, 4, alternating);
  double m = 0, v = 0, x = 1;
  for (int t = 1; t <= 4; ++t) {
    const double g = alternating(t - 1);
    m = 0.8 * m + 0.2 * g;
    v = 0.9 * v + 0.1 * g * g;
    const double mHat = m / (1 - std::pow(0.8, t)), vHat = v / (1 - std::pow(0.9, t));
    // Keras folds the corrections into lr_t and adds eps to sqrt(v): eps_hat = eps * sqrt(1 - b2^t).
    x -= 0.01 * mHat / (std::sqrt(vHat) + 1e-7 / std::sqrt(1 - std::pow(0.9, t)));
    EXPECT_NEAR(got[t - 1], x, 1e-6) << "step " << t;
  }
}

TEST(Optimizer, RmspropWithAndWithoutMomentumByHand) {
  // ms = 0.025, 0.0475; w -= 0.01 * 0.5 / sqrt(ms + 1e-7)
  auto w = trajectory({{"type", "rmsprop"}, {"learningRate", 0.01}}, 2);
  EXPECT_NEAR(w[0], 1 - 0.005 / std::sqrt(0.025 + 1e-7), 1e-6);
  EXPECT_NEAR(w[1], w[0] - 0.005 / std::sqrt(0.0475 + 1e-7), 1e-6);
  auto withMomentum = trajectory({{"type", "rmsprop"}, {"learningRate", 0.01}, {"momentum", 0.5}}, 2);
  const double first = 0.005 / std::sqrt(0.025 + 1e-7);
  const double second = 0.5 * first + 0.005 / std::sqrt(0.0475 + 1e-7);
  EXPECT_NEAR(withMomentum[0], 1 - first, 1e-6);
  EXPECT_NEAR(withMomentum[1], 1 - first - second, 1e-6);
}

// With the default epsilon (1e-7) inside and outside the square root give the same numbers to
// float precision, so the tests above cannot tell where it sits. With epsilon 0.1 they differ in
// the second digit: these check the documented placement (Keras 3 and TF.js) and that the
// other placements would fail.
TEST(Optimizer, EpsilonPlacementIsKeras) {
  const double eps = 0.1;
  auto gradient = [](int t) { return t % 2 ? -0.3f : 0.2f; };
  // Adam: w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps): eps outside the root,
  // added to the uncorrected sqrt(v).
  auto adam = trajectory({{"type", "adam"}, {"learningRate", 0.1}, {"epsilon", eps}}, 3, gradient);
  double m = 0, v = 0, keras = 1, correctedEps = 1, insideRoot = 1;
  for (int t = 1; t <= 3; ++t) {
    const double g = gradient(t - 1);
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    const double alpha = 0.1 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    keras -= alpha * m / (std::sqrt(v) + eps);
    const double mHat = m / (1 - std::pow(0.9, t)), vHat = v / (1 - std::pow(0.999, t));
    correctedEps -= 0.1 * mHat / (std::sqrt(vHat) + eps);  // the paper's placement
    insideRoot -= alpha * m / std::sqrt(v + eps);
    EXPECT_NEAR(adam[t - 1], keras, 1e-6) << "adam step " << t;
  }
  EXPECT_GT(std::fabs(keras - correctedEps), 1e-3);
  EXPECT_GT(std::fabs(keras - insideRoot), 1e-3);

  // RMSprop: ms = rho ms + (1 - rho) g^2; w -= lr * g / sqrt(ms + eps): eps inside the root.
  auto rms = trajectory({{"type", "rmsprop"}, {"learningRate", 0.01}, {"epsilon", eps}}, 3, gradient);
  double ms = 0, inside = 1, outside = 1;
  for (int t = 1; t <= 3; ++t) {
    const double g = gradient(t - 1);
    ms = 0.9 * ms + 0.1 * g * g;
    inside -= 0.01 * g / std::sqrt(ms + eps);
    outside -= 0.01 * g / (std::sqrt(ms) + eps);
    EXPECT_NEAR(rms[t - 1], inside, 1e-6) << "rmsprop step " << t;
  }
  EXPECT_GT(std::fabs(inside - outside), 1e-3);
}

TEST(Optimizer, OneLoopOverManyValuesMatchesScalarSteps) {
  auto optimizer = createOptimizer("adam");
  const int n = 37;
  optimizer->reset(n);
  std::vector<float> w(n), g(n);
  for (int i = 0; i < n; ++i) {
    w[i] = 1.f;
    g[i] = 0.5f;
  }
  optimizer->step(w.data(), g.data(), n);
  const float single = trajectory("adam", 1)[0];
  for (int i = 0; i < n; ++i) EXPECT_EQ(w[i], single);
  EXPECT_EQ(optimizer->iterations(), 1);
  EXPECT_EQ(optimizer->stateSlots().size(), 2u);
}

// beginStep + updateRange over uneven parts (the sharded step's parted update) gives step()'s
// numbers to the bit, state slots included, for every rule and over several iterations: each
// part must read and write its own slice of the moments.
TEST(Optimizer, UpdateInPartsMatchesOneStep) {
  const Json specs[] = {{{"type", "sgd"}, {"learningRate", 0.1}, {"momentum", 0.9}},
                        {{"type", "sgd"}, {"learningRate", 0.1}, {"momentum", 0.9}, {"nesterov", true}},
                        Json("adam"),
                        {{"type", "rmsprop"}, {"momentum", 0.5}}};
  const int n = 203;
  const int cuts[] = {0, 17, 18, 130, n};
  for (const Json& spec : specs) {
    SCOPED_TRACE(spec.dump());
    auto whole = createOptimizer(spec), parted = createOptimizer(spec);
    whole->reset(n);
    parted->reset(n);
    std::vector<float> a(n), b(n), g(n);
    for (int i = 0; i < n; ++i) a[i] = b[i] = std::sin(0.37f * i);
    for (int t = 0; t < 4; ++t) {
      for (int i = 0; i < n; ++i) g[i] = std::cos(1.3f * i + t) * (1.f + 0.1f * i);
      whole->step(a.data(), g.data(), n);
      parted->beginStep(n);
      for (int part = 3; part >= 0; --part) parted->updateRange(b.data(), g.data(), cuts[part], cuts[part + 1] - cuts[part]);
    }
    EXPECT_EQ(a, b);
    EXPECT_EQ(parted->iterations(), whole->iterations());
    for (size_t slot = 0; slot < whole->stateSlots().size(); ++slot) {
      const Tensor& x = *whole->stateSlots()[slot];
      const Tensor& y = *parted->stateSlots()[slot];
      EXPECT_EQ(std::vector<float>(x.data(), x.data() + n), std::vector<float>(y.data(), y.data() + n)) << "slot " << slot;
    }
  }
}

TEST(Optimizer, ConfigRoundTripsAndRejectsBadOptions) {
  auto adam = createOptimizer({{"type", "adam"}, {"learningRate", 0.5}});
  EXPECT_EQ(adam->config()["learningRate"].get<float>(), 0.5f);
  EXPECT_EQ(createOptimizer(adam->config())->config(), adam->config());
  try {
    createOptimizer({{"type", "adam"}, {"learningrate", 0.5}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("adam: unknown option 'learningrate'"), std::string::npos) << e.what();
  }
  try {
    createOptimizer("adagrad");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "compile: unknown optimizer 'adagrad' (expected sgd, adam or rmsprop)");
  }
  EXPECT_THROW(createOptimizer({{"type", "sgd"}, {"momentum", 1.5}}), Error);
  EXPECT_THROW(createOptimizer(42), Error);
}

}  // namespace
}  // namespace attn::optim_test
