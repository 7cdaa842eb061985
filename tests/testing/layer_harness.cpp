#include "testing/layer_harness.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "layers/registry.h"

namespace attn::testing {

std::unique_ptr<Layer> makeLayer(const std::string& type, const Json& options) { return createLayer(type, options); }

LayerHarness::LayerHarness(std::unique_ptr<Layer> layer, const std::vector<Shape>& inputShapes, int batch,
                           uint64_t seed)
    : layer_(std::move(layer)), seed_(seed) {
  outputShapes_ = layer_->build(inputShapes, store_);
  Rng rng(seed);
  store_.allocate(rng);
  for (const Shape& s : inputShapes) {
    Tensor t(s.withBatch(batch));
    for (int64_t i = 0; i < t.size(); ++i) t[i] = rng.normal();
    inputs.push_back(std::move(t));
  }
  masks.resize(inputs.size());
  isIds_.assign(inputs.size(), false);
  for (const Shape& s : outputShapes_) {
    Tensor probe(s.withBatch(batch));
    for (int64_t i = 0; i < probe.size(); ++i) probe[i] = rng.uniform(-1.f, 1.f);
    probes_.push_back(std::move(probe));
  }
}

void LayerHarness::maskTail(int index, const std::vector<int>& padded) {
  const Shape& s = inputs[index].shape();
  ASSERT_GE(s.rank, 2);
  ASSERT_EQ(static_cast<int>(padded.size()), s[0]);
  Tensor mask(Shape{s[0], s[1]});
  for (int b = 0; b < s[0]; ++b)
    for (int t = 0; t < s[1]; ++t) mask[b * s[1] + t] = t < s[1] - padded[b] ? 1.f : 0.f;
  masks[index] = std::move(mask);
}

void LayerHarness::fillIds(int index, int low, int high) {
  Rng rng(seed_ + 17);
  Tensor& t = inputs[index];
  for (int64_t i = 0; i < t.size(); ++i) t[i] = static_cast<float>(low + rng.below(high - low));
  isIds_[index] = true;
}

void LayerHarness::randomizeParams(float stddev) {
  Rng rng(seed_ + 99);
  for (auto& p : store_.params())
    if (p.trainable)
      for (int64_t i = 0; i < p.size(); ++i) p.value[i] = stddev * rng.normal();
}

void LayerHarness::forward(bool training) {
  std::vector<const Tensor*> in, mask;
  for (auto& t : inputs) in.push_back(&t);
  for (auto& m : masks) mask.push_back(m.empty() ? nullptr : &m);
  Rng rng(seed_ + 7);
  ForwardPass pass{in, mask, training, &rng};
  layer_->forward(pass);
}

double LayerHarness::probeAbsLoss() {
  double sum = 0;
  for (size_t o = 0; o < probes_.size(); ++o) {
    const Tensor& out = layer_->output(static_cast<int>(o));
    for (int64_t i = 0; i < out.size(); ++i) sum += std::fabs(static_cast<double>(probes_[o][i]) * out[i]);
  }
  return sum;
}

double LayerHarness::probeLoss() {
  double loss = 0;
  for (size_t o = 0; o < probes_.size(); ++o) {
    const Tensor& out = layer_->output(static_cast<int>(o));
    for (int64_t i = 0; i < out.size(); ++i) loss += static_cast<double>(probes_[o][i]) * out[i];
  }
  return loss;
}

void LayerHarness::forwardBackward(bool training) {
  forward(training);
  store_.zeroGrads();
  inputGrads.clear();
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor g;
    if (!isIds_[i]) g = Tensor(inputs[i].shape());
    inputGrads.push_back(std::move(g));
  }
  std::vector<const Tensor*> in, mask, dOut;
  std::vector<Tensor*> dIn;
  for (auto& t : inputs) in.push_back(&t);
  for (auto& m : masks) mask.push_back(m.empty() ? nullptr : &m);
  for (auto& p : probes_) dOut.push_back(&p);
  for (auto& g : inputGrads) dIn.push_back(g.empty() ? nullptr : &g);
  layer_->backward(BackwardPass{in, mask, dOut, dIn});
}

namespace {

struct Worst {
  std::string where;
  double analytic = 0, numeric = 0, excess = -1;
};

// sum_o sum_i |probe_o[i] * out_o[i]| at the unperturbed point: the scale of the loss's float32
// rounding error, which a central difference divides by 2 epsilon.
double probeMagnitude(LayerHarness& h, bool training) {
  h.forward(training);
  return h.probeAbsLoss();
}

void compareTensor(LayerHarness& h, const std::string& label, float* values, const float* analytic, int64_t size,
                   const GradCheckOptions& o, bool training, double floor, Worst& worst) {
  const int64_t step = std::max<int64_t>(1, size / o.maxElements);
  for (int64_t i = 0; i < size; i += step) {
    const float saved = values[i];
    values[i] = saved + o.epsilon;
    h.forward(training);
    const double plus = h.probeLoss();
    values[i] = saved - o.epsilon;
    h.forward(training);
    const double minus = h.probeLoss();
    values[i] = saved;
    const double numeric = (plus - minus) / (2.0 * o.epsilon);
    const double a = analytic[i];
    const std::string where = label + "[" + std::to_string(i) + "]";
    // A NaN compares false with everything: a non-finite value is a failure in its own right.
    if (!std::isfinite(a) || !std::isfinite(numeric)) {
      worst = {where, a, numeric, INFINITY};
      return;
    }
    const double allowed = floor + o.relativeTolerance * std::max(std::fabs(a), std::fabs(numeric));
    const double excess = std::fabs(a - numeric) - allowed;
    if (excess > worst.excess) worst = {where, a, numeric, excess};
  }
}

::testing::AssertionResult nonFinite(const std::string& what, const float* values, int64_t size) {
  for (int64_t i = 0; i < size; ++i)
    if (!std::isfinite(values[i]))
      return ::testing::AssertionFailure() << "non-finite analytic gradient " << what << "[" << i << "] = " << values[i];
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult gradientsMatch(LayerHarness& h, const GradCheckOptions& o) {
  h.forwardBackward(o.training);
  // Snapshot analytic gradients: the finite-difference passes below do not touch them, but keep
  // them apart from the parameter values we perturb.
  std::vector<Tensor> inputGrads = h.inputGrads;
  std::vector<std::vector<float>> paramGrads;
  for (auto& p : h.store().params())
    paramGrads.emplace_back(p.grad ? std::vector<float>(p.grad, p.grad + p.size()) : std::vector<float>());
  // Every element, not only the sampled ones: a NaN anywhere is a failure.
  for (size_t k = 0; k < inputGrads.size(); ++k)
    if (auto r = nonFinite("input" + std::to_string(k), inputGrads[k].data(), inputGrads[k].size()); !r) return r;
  {
    size_t index = 0;
    for (auto& p : h.store().params()) {
      if (auto r = nonFinite(p.name, paramGrads[index].data(), int64_t(paramGrads[index].size())); !r) return r;
      ++index;
    }
  }
  // The absolute floor is what float32 allows: the loss is a sum of float32 outputs, each
  // rounded to ~2^-24 of its size, so the difference of two losses is known to about
  // kRoundoffUlps * 2^-24 * sum |probe * out|, divided by 2 epsilon.
  constexpr double kRoundoffUlps = 16;
  const double floor =
      o.absoluteTolerance + kRoundoffUlps * std::ldexp(1.0, -24) * probeMagnitude(h, o.training) / (2.0 * o.epsilon);

  Worst worst;
  if (o.checkInputs)
    for (size_t k = 0; k < h.inputs.size(); ++k)
      if (!inputGrads[k].empty())
        compareTensor(h, "input" + std::to_string(k), h.inputs[k].data(), inputGrads[k].data(), h.inputs[k].size(), o,
                      o.training, floor, worst);
  if (o.checkParams) {
    size_t index = 0;
    for (auto& p : h.store().params()) {
      if (p.trainable)
        compareTensor(h, p.name, p.value, paramGrads[index].data(), p.size(), o, o.training, floor, worst);
      ++index;
    }
  }
  if (worst.excess > 0)
    return ::testing::AssertionFailure() << "gradient mismatch at " << worst.where << ": analytic " << worst.analytic
                                         << " vs numeric " << worst.numeric << " (absolute floor " << floor << ")";
  return ::testing::AssertionSuccess();
}

}  // namespace attn::testing
