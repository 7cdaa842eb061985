#include <gtest/gtest.h>

#include <cmath>

#include "core/check.h"
#include "core/random.h"
#include "loss/loss.h"

namespace attn::loss_test {
namespace {

Tensor randomTensor(const Shape& s, Rng& rng, float low, float high) {
  Tensor t(s);
  for (int64_t i = 0; i < t.size(); ++i) t[i] = rng.uniform(low, high);
  return t;
}

double loss(LossKind kind, const Tensor& p, const Tensor& y, bool logits = false, const Tensor* mask = nullptr) {
  return computeLoss(kind, LossInput{&p, logits, &y, mask}, nullptr, "test");
}

// Central differences of the loss against the analytic gradient, element by element.
void expectGradientMatches(LossKind kind, Tensor p, const Tensor& y, bool logits, const Tensor* mask = nullptr) {
  Tensor grad(p.shape());
  computeLoss(kind, LossInput{&p, logits, &y, mask}, &grad, "test");
  const float eps = 1e-3f;
  for (int64_t i = 0; i < p.size(); ++i) {
    const float saved = p[i];
    p[i] = saved + eps;
    const double plus = loss(kind, p, y, logits, mask);
    p[i] = saved - eps;
    const double minus = loss(kind, p, y, logits, mask);
    p[i] = saved;
    const double numeric = (plus - minus) / (2 * eps);
    EXPECT_NEAR(grad[i], numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << lossName(kind) << " element " << i;
  }
}

TEST(Loss, MeanSquaredAndAbsoluteErrorByHand) {
  Tensor p(Shape{2, 2}, {1.f, 2.f, 3.f, 5.f});
  Tensor y(Shape{2, 2}, {0.f, 2.f, 1.f, 1.f});
  // rows: mean(1, 0) = 0.5, mean(4, 16) = 10 -> 5.25
  EXPECT_NEAR(loss(LossKind::MeanSquaredError, p, y), 5.25, 1e-9);
  // rows: mean(1, 0) = 0.5, mean(2, 4) = 3 -> 1.75
  EXPECT_NEAR(loss(LossKind::MeanAbsoluteError, p, y), 1.75, 1e-9);
  Tensor grad(p.shape());
  computeLoss(LossKind::MeanSquaredError, LossInput{&p, false, &y, nullptr}, &grad, "test");
  // dL/dp = 2 (p - y) / 4
  EXPECT_FLOAT_EQ(grad[0], 0.5f);
  EXPECT_FLOAT_EQ(grad[1], 0.f);
  EXPECT_FLOAT_EQ(grad[3], 2.f);
}

TEST(Loss, BinaryCrossentropyByHandAndClipped) {
  Tensor p(Shape{2, 1}, {0.8f, 0.3f});
  Tensor y(Shape{2, 1}, {1.f, 0.f});
  const double expected = -(std::log(0.8 + 1e-7) + std::log(1 - 0.3 + 1e-7)) / 2;
  EXPECT_NEAR(loss(LossKind::BinaryCrossentropy, p, y), expected, 1e-6);
  // A probability of exactly 0 for a positive is clipped to 1e-7, not -log(0).
  Tensor zero(Shape{1, 1}, {0.f}), one(Shape{1, 1}, {1.f});
  EXPECT_NEAR(loss(LossKind::BinaryCrossentropy, zero, one), -std::log(1e-7 + 1e-7), 1e-3);
}

TEST(Loss, CategoricalCrossentropyNormalisesLikeKeras) {
  // Rows that do not sum to 1 are normalised first: p = (0.4, 0.2, 0.2) / 0.8.
  Tensor p(Shape{1, 3}, {0.4f, 0.2f, 0.2f});
  Tensor y(Shape{1, 3}, {0.f, 1.f, 0.f});
  EXPECT_NEAR(loss(LossKind::CategoricalCrossentropy, p, y), -std::log(0.25), 1e-6);
  Tensor ids(Shape{1}, {1.f});
  EXPECT_NEAR(loss(LossKind::SparseCategoricalCrossentropy, p, ids), -std::log(0.25), 1e-6);
}

TEST(Loss, LogitPathsEqualTheProbabilityPaths) {
  Rng rng(3);
  Tensor z = randomTensor(Shape{4, 5}, rng, -3.f, 3.f);
  // Sigmoid probabilities and binary targets.
  Tensor s(z.shape()), yb(z.shape());
  for (int64_t i = 0; i < z.size(); ++i) {
    s[i] = 1.f / (1.f + std::exp(-z[i]));
    yb[i] = rng.uniform() < 0.5f ? 1.f : 0.f;
  }
  EXPECT_NEAR(loss(LossKind::BinaryCrossentropy, z, yb, true), loss(LossKind::BinaryCrossentropy, s, yb), 1e-5);
  // Softmax probabilities, one-hot and sparse targets.
  Tensor sm(z.shape()), onehot(z.shape()), ids(Shape{4});
  for (int r = 0; r < 4; ++r) {
    double sum = 0;
    for (int c = 0; c < 5; ++c) sum += std::exp(z[r * 5 + c]);
    for (int c = 0; c < 5; ++c) sm[r * 5 + c] = static_cast<float>(std::exp(z[r * 5 + c]) / sum);
    ids[r] = static_cast<float>(rng.below(5));
    onehot[r * 5 + static_cast<int>(ids[r])] = 1.f;
  }
  EXPECT_NEAR(loss(LossKind::CategoricalCrossentropy, z, onehot, true),
              loss(LossKind::CategoricalCrossentropy, sm, onehot), 1e-5);
  EXPECT_NEAR(loss(LossKind::SparseCategoricalCrossentropy, z, ids, true),
              loss(LossKind::SparseCategoricalCrossentropy, sm, ids), 1e-5);
  EXPECT_NEAR(loss(LossKind::SparseCategoricalCrossentropy, z, ids, true),
              loss(LossKind::CategoricalCrossentropy, z, onehot, true), 1e-6);
}

TEST(Loss, LogitPathsAreStableForHugeLogits) {
  Tensor z(Shape{1, 2}, {1000.f, -1000.f});
  Tensor y(Shape{1, 2}, {0.f, 1.f});
  const double bce = loss(LossKind::BinaryCrossentropy, z, y, true);
  EXPECT_TRUE(std::isfinite(bce));
  EXPECT_NEAR(bce, 1000.0, 1e-3);  // each element costs 1000, mean over 2
  const double cce = loss(LossKind::CategoricalCrossentropy, z, y, true);
  EXPECT_NEAR(cce, 2000.0, 1e-2);
  Tensor grad(z.shape());
  computeLoss(LossKind::CategoricalCrossentropy, LossInput{&z, true, &y, nullptr}, &grad, "test");
  EXPECT_NEAR(grad[0], 1.f, 1e-6);
  EXPECT_NEAR(grad[1], -1.f, 1e-6);
}

TEST(Loss, GradientsMatchFiniteDifferences) {
  Rng rng(5);
  const Shape shape{3, 4};
  Tensor values = randomTensor(shape, rng, -1.f, 1.f);
  Tensor targets = randomTensor(shape, rng, -1.f, 1.f);
  expectGradientMatches(LossKind::MeanSquaredError, values, targets, false);
  expectGradientMatches(LossKind::MeanAbsoluteError, values, targets, false);

  Tensor probs = randomTensor(shape, rng, 0.05f, 0.95f);
  Tensor binary(shape), onehot(shape), ids(Shape{3});
  for (int64_t i = 0; i < binary.size(); ++i) binary[i] = rng.uniform() < 0.5f ? 1.f : 0.f;
  for (int r = 0; r < 3; ++r) {
    ids[r] = static_cast<float>(rng.below(4));
    onehot[r * 4 + static_cast<int>(ids[r])] = 1.f;
  }
  Tensor logits = randomTensor(shape, rng, -2.f, 2.f);
  for (bool fromLogits : {false, true}) {
    SCOPED_TRACE(fromLogits ? "logits" : "probabilities");
    const Tensor& p = fromLogits ? logits : probs;
    expectGradientMatches(LossKind::BinaryCrossentropy, p, binary, fromLogits);
    expectGradientMatches(LossKind::CategoricalCrossentropy, p, onehot, fromLogits);
    expectGradientMatches(LossKind::SparseCategoricalCrossentropy, p, ids, fromLogits);
  }
}

TEST(Loss, MaskAveragesOverKeptRowsOnly) {
  // (B=1, T=3, C=1): the masked step's error (100) must not count.
  Tensor p(Shape{1, 3, 1}, {1.f, 2.f, 10.f});
  Tensor y(Shape{1, 3, 1}, {0.f, 0.f, 0.f});
  Tensor mask(Shape{1, 3}, {1.f, 1.f, 0.f});
  EXPECT_NEAR(loss(LossKind::MeanSquaredError, p, y, false, &mask), 2.5, 1e-9);
  expectGradientMatches(LossKind::MeanSquaredError, p, y, false, &mask);
  Tensor grad(p.shape());
  computeLoss(LossKind::MeanSquaredError, LossInput{&p, false, &y, &mask}, &grad, "test");
  EXPECT_EQ(grad[2], 0.f);
}

TEST(Loss, SampleWeightsScaleEachSamplesRowsAndKeepTheMeanOverKeptRows) {
  // (B=2, T=2, C=1), squared errors 1, 4 | 9, 16; mask drops sample 1's last step; weights 3, 0.5.
  Tensor p(Shape{2, 2, 1}, {1.f, 2.f, 3.f, 4.f}), y(Shape{2, 2, 1});
  Tensor mask(Shape{2, 2}, {1.f, 1.f, 1.f, 0.f});
  Tensor weights(Shape{2}, {3.f, 0.5f});
  const LossInput in{&p, false, &y, &mask, &weights};
  // Keras: sum of weighted kept rows over the count of kept rows: (3*1 + 3*4 + 0.5*9) / 3.
  EXPECT_NEAR(computeLoss(LossKind::MeanSquaredError, in, nullptr, "test"), (3.0 + 12.0 + 4.5) / 3.0, 1e-9);
  Tensor grad(p.shape());
  computeLoss(LossKind::MeanSquaredError, in, &grad, "test");
  // d/dp of w * (p - y)^2 / 3
  EXPECT_NEAR(grad[0], 3.f * 2.f * 1.f / 3.f, 1e-6);
  EXPECT_NEAR(grad[2], 0.5f * 2.f * 3.f / 3.f, 1e-6);
  EXPECT_EQ(grad[3], 0.f);
}

TEST(Loss, AccuracyVariants) {
  Tensor p(Shape{4, 1}, {0.9f, 0.4f, 0.6f, 0.1f});
  Tensor y(Shape{4, 1}, {1.f, 1.f, 0.f, 0.f});
  MetricSum sum;
  accumulateAccuracy(AccuracyKind::Binary, LossInput{&p, false, &y, nullptr}, sum);
  EXPECT_DOUBLE_EQ(sum.mean(), 0.5);
  Tensor c(Shape{2, 3}, {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f});
  Tensor onehot(Shape{2, 3}, {0.f, 1.f, 0.f, 0.f, 0.f, 1.f});
  Tensor ids(Shape{2}, {1.f, 0.f});
  MetricSum categorical, sparse;
  accumulateAccuracy(AccuracyKind::Categorical, LossInput{&c, false, &onehot, nullptr}, categorical);
  accumulateAccuracy(AccuracyKind::SparseCategorical, LossInput{&c, false, &ids, nullptr}, sparse);
  EXPECT_DOUBLE_EQ(categorical.mean(), 0.5);
  EXPECT_DOUBLE_EQ(sparse.mean(), 1.0);
  EXPECT_EQ(accuracyKindFor(LossKind::BinaryCrossentropy, Shape{4, 3}, Shape{4, 3}), AccuracyKind::Binary);
  EXPECT_EQ(accuracyKindFor(LossKind::MeanSquaredError, Shape{4, 1}, Shape{4, 1}), AccuracyKind::Binary);
  EXPECT_EQ(accuracyKindFor(LossKind::MeanSquaredError, Shape{4, 3}, Shape{4}), AccuracyKind::SparseCategorical);
  EXPECT_EQ(accuracyKindFor(LossKind::MeanSquaredError, Shape{4, 3}, Shape{4, 3}), AccuracyKind::Categorical);
}

TEST(Loss, ErrorsNameTheOutput) {
  Tensor p(Shape{2, 3}), y(Shape{2, 2}), badIds(Shape{2}, {0.f, 3.f});
  try {
    loss(LossKind::MeanSquaredError, p, y);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "test: targets of shape (2, 2) do not match predictions of shape (2, 3)");
  }
  try {
    loss(LossKind::SparseCategoricalCrossentropy, p, badIds, true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "test: sparse target 3 is not a class id in [0, 3)");
  }
  EXPECT_EQ(parseLoss("mse", "compile"), LossKind::MeanSquaredError);
  EXPECT_EQ(parseLoss("sparse_categorical_crossentropy", "compile"), LossKind::SparseCategoricalCrossentropy);
  try {
    parseLoss("hinge", "compile");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("compile: unknown loss 'hinge'"), std::string::npos);
  }
}

}  // namespace
}  // namespace attn::loss_test
