#include <gtest/gtest.h>

#include <cmath>

#include "layer_test_util.h"

namespace attn::dot_test {
namespace {

using namespace testing;

// The Keras batch_dot of x and y contracted over per-sample axes ax and ay (rank 1 or 2 each).
double referenceDot(const Tensor& x, const Tensor& y, int b, int ax, int ay, int i, int j) {
  const Shape sx = x.shape().dropFirst(), sy = y.shape().dropFirst();
  const int K = sx[ax];
  auto at = [](const Tensor& t, const Shape& s, int b, int axis, int k, int free) {
    if (s.rank == 1) return t[int64_t(b) * s[0] + k];
    const int r = axis == 0 ? k : free, c = axis == 0 ? free : k;
    return t[(int64_t(b) * s[0] + r) * s[1] + c];
  };
  double total = 0;
  for (int k = 0; k < K; ++k) total += double(at(x, sx, b, ax, k, i)) * at(y, sy, b, ay, k, j);
  return total;
}

struct Case {
  Shape x, y;
  Json axes;
  int ax, ay;
  Shape out;
};

TEST(Dot, MatchesBatchDotForEveryAxisPairing) {
  const Case cases[] = {
      {Shape{4}, Shape{4}, 1, 0, 0, Shape{1}},
      {Shape{3, 4}, Shape{5, 4}, 2, 1, 1, Shape{3, 5}},
      {Shape{3, 4}, Shape{3, 5}, 1, 0, 0, Shape{4, 5}},
      {Shape{3, 4}, Shape{4, 5}, Json::array({2, 1}), 1, 0, Shape{3, 5}},
      {Shape{4, 3}, Shape{5, 4}, Json::array({1, -1}), 0, 1, Shape{3, 5}},
      {Shape{4}, Shape{3, 4}, Json::array({1, 2}), 0, 1, Shape{3}},
      {Shape{3, 4}, Shape{3}, Json::array({1, 1}), 0, 0, Shape{4}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.x.str(true) + " . " + c.y.str(true) + " axes " + c.axes.dump());
    LayerHarness h(makeLayer("dot", {{"axes", c.axes}}), {c.x, c.y}, 2);
    ASSERT_EQ(h.outputShapes()[0], c.out);
    h.forward();
    const Tensor& out = h.layer().output();
    const int M = c.x.rank == 2 ? c.x[1 - c.ax] : 1, N = c.y.rank == 2 ? c.y[1 - c.ay] : 1;
    for (int b = 0; b < 2; ++b)
      for (int i = 0; i < M; ++i)
        for (int j = 0; j < N; ++j)
          EXPECT_NEAR(out[(b * M + i) * N + j], referenceDot(h.inputs[0], h.inputs[1], b, c.ax, c.ay, i, j), 1e-5);
    EXPECT_TRUE(gradientsMatch(h));
  }
}

TEST(Dot, NormalizeGivesCosineSimilarity) {
  LayerHarness h(makeLayer("dot", {{"axes", -1}, {"normalize", true}}), {Shape{6}, Shape{6}}, 3);
  h.forward();
  for (int b = 0; b < 3; ++b) {
    double xy = 0, xx = 0, yy = 0;
    for (int k = 0; k < 6; ++k) {
      const double x = h.inputs[0][b * 6 + k], y = h.inputs[1][b * 6 + k];
      xy += x * y;
      xx += x * x;
      yy += y * y;
    }
    EXPECT_NEAR(h.layer().output()[b], xy / std::sqrt(xx * yy), 1e-5);
  }
  EXPECT_TRUE(gradientsMatch(h));
}

TEST(Dot, NormalizeGradientsOnMatrices) {
  LayerHarness first(makeLayer("dot", {{"axes", 1}, {"normalize", true}}), {Shape{4, 3}, Shape{4, 2}}, 2);
  EXPECT_TRUE(gradientsMatch(first));
  LayerHarness last(makeLayer("dot", {{"axes", 2}, {"normalize", true}}), {Shape{3, 4}, Shape{2, 4}}, 2);
  EXPECT_TRUE(gradientsMatch(last));
}

TEST(Dot, NoOutputMask) {
  LayerHarness h(makeLayer("dot", {{"axes", 2}}), {Shape{3, 4}, Shape{3, 4}}, 2);
  h.maskTail(0, {1, 0});
  EXPECT_EQ(forwardMask(h), nullptr);
}

TEST(Dot, RejectsBadAxesAndShapes) {
  EXPECT_TRUE(throwsWith([] { makeLayer("dot", Json::object()); }, {"'axes' must be an integer or a pair"}));
  EXPECT_TRUE(throwsWith([] { makeLayer("dot", {{"axes", {1, 2, 3}}}); }, {"'axes' must be an integer or a pair"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("dot", {{"axes", 2}, {"name", "d"}}, {Shape{3, 4}, Shape{3, 5}}); },
                         {"d: the contracted axes must have the same size, got 4", "and 5"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("dot", {{"axes", 1}, {"name", "d"}}, {Shape{2, 3, 4}, Shape{2, 3, 4}}); },
                         {"d: expected inputs of rank 2 or 3"}));
  EXPECT_TRUE(throwsWith([] { buildLayer("dot", {{"axes", 0}, {"name", "d"}}, {Shape{4}, Shape{4}}); },
                         {"batch axis"}));
  LayerHarness h(makeLayer("dot", {{"axes", 1}, {"name", "d"}}), {Shape{4}, Shape{4}}, 2);
  h.inputs[1] = Tensor(Shape{3, 4});
  EXPECT_TRUE(throwsWith([&] { h.forward(); }, {"d: inputs disagree on the batch size"}));
}

TEST(Dot, OptionsRoundTripAndNoAllocationAfterFirstBatch) {
  EXPECT_TRUE(optionsRoundTrip("dot", {{"axes", {1, 2}}, {"normalize", true}}));
  EXPECT_TRUE(optionsRoundTrip("dot", {{"axes", -1}}));
  LayerHarness h(makeLayer("dot", {{"axes", 2}, {"normalize", true}}), {Shape{3, 4}, Shape{5, 4}}, 2);
  EXPECT_EQ(allocationsAfterFirstBatch(h), 0);
  EXPECT_TRUE(backwardAccumulates(h));
}

}  // namespace
}  // namespace attn::dot_test
